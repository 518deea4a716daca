-- one row per user following a deal in pipedrive_raw.deal_followers (API v2)
create or replace view pipedrive_staging.deal_followers as
with source as (
    select * from pipedrive_raw.deal_followers
),

renamed as (
    select
        pipedrive_staging.ref_id(deal_id) as deal_id,
        pipedrive_staging.ref_id(user_id) as user_id,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        coalesce(pipedrive_staging.flag(is_deleted), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
