-- One row per machine: anomaly count and the alert level maintenance acts on.
with anomalies as (
    select machine_id, count(*) as anomaly_count, max(reading_ts) as last_anomaly_at
    from {{ ref('gold_sensor_anomalies') }}
    group by machine_id
),
machines as (
    select machine_id, min(plant) as plant, count(*) as readings
    from {{ ref('silver_readings') }}
    group by machine_id
)
select
    m.machine_id,
    m.plant,
    m.readings,
    coalesce(a.anomaly_count, 0) as anomaly_count,
    a.last_anomaly_at,
    case
        when coalesce(a.anomaly_count, 0) >= 3 then 'critical'
        when coalesce(a.anomaly_count, 0) >= 1 then 'warning'
        else 'ok'
    end as alert_level
from machines m
left join anomalies a on a.machine_id = m.machine_id
