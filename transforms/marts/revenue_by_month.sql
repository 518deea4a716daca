-- one row per calendar month (UTC, of won_time) and currency: won deals (not deleted) and their value
-- key: month, currency
create or replace view pipedrive.revenue_by_month as
with won_deals as (
    select won_time, currency, value
    from deals  -- pipedrive.deals: see the note in transforms/README.md
    where status = 'won' and won_time is not null
)

select
    date_trunc('month', won_time)::date as month,
    currency,
    count(*) as won_deals,
    sum(value) as won_value
from won_deals
group by all
order by month, currency
