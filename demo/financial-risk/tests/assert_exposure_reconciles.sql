-- Data test: the regulatory report adds up to the same exposure as the risk scores.
select 1
from (select sum(exposure_usd) as total from {{ ref('gold_regulatory_report') }}) r
cross join (select sum(exposure_usd) as total from {{ ref('gold_risk_scores') }}) s
where abs(r.total - s.total) > 1
