-- one row per deal whose changelog the sync has read (its history is complete up to that read)
create or replace view pipedrive_staging.deal_history_reads as
with source as (
    select * from pipedrive_raw.deal_history_reads
)

select
    deal_id::bigint as deal_id,
    pipedrive_staging.utc_timestamp(deal_update_time) as deal_update_time,
    try_cast(_extracted_at as timestamptz) as read_at
from source
