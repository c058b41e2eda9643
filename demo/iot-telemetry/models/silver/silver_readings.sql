{{ config(materialized='incremental', unique_key='reading_id', incremental_strategy='delete+insert') }}
-- One row per reading: duplicates removed, readings without a value dropped, sensor joined.
select distinct
    r.reading_id,
    r.sensor_id,
    s.machine_id,
    s.sensor_type,
    s.plant,
    r.reading_ts,
    r.value,
    r.unit
from {{ ref('bronze_readings') }} r
join {{ ref('bronze_sensors') }} s on s.sensor_id = r.sensor_id
where r.value is not null
{% if is_incremental() %}
  and r.reading_ts >= (select coalesce(max(reading_ts), timestamp '1970-01-01') from {{ this }})
{% endif %}
