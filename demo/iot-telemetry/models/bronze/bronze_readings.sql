-- Gateway readings, typed; duplicates and gaps are kept at this layer.
select
    cast(reading_id as bigint) as reading_id,
    sensor_id,
    cast(reading_ts as timestamp) as reading_ts,
    cast(value as double) as value,
    unit
from {{ ref('raw_readings') }}
