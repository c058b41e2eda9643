-- Data test: nothing flagged as an anomaly sits within three standard deviations.
select * from {{ ref('gold_sensor_anomalies') }} where abs(z_score) < 3
