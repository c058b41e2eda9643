-- Sensor registry, typed.
select sensor_id, machine_id, sensor_type, plant, cast(installed_on as date) as installed_on
from {{ ref('raw_sensors') }}
