-- Readings more than three standard deviations from their sensor type's mean.
with stats as (
    select sensor_type, avg(value) as mean_value, stddev_pop(value) as sd_value
    from {{ ref('silver_readings') }}
    group by sensor_type
)
select
    r.reading_id,
    r.sensor_id,
    r.machine_id,
    r.plant,
    r.sensor_type,
    r.reading_ts,
    r.value,
    round((r.value - s.mean_value) / nullif(s.sd_value, 0), 2) as z_score
from {{ ref('silver_readings') }} r
join stats s on s.sensor_type = r.sensor_type
where abs(r.value - s.mean_value) > 3 * s.sd_value
