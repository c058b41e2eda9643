-- Counterparty master, typed.
select counterparty_id, legal_name, rating, sector, country
from {{ ref('raw_counterparties') }}
