-- Data test: every customer is counted in exactly one segment.
select 1
from (select sum(customers) as n from {{ ref('gold_segments') }}) s
cross join (select count(*) as n from {{ ref('gold_customer_360') }}) c
where s.n <> c.n
