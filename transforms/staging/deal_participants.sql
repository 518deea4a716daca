-- one row per person taking part in a deal in pipedrive_raw.deal_participants (API v1)
create or replace view pipedrive_staging.deal_participants as
with source as (
    select * from pipedrive_raw.deal_participants
),

renamed as (
    select
        id::bigint as id,
        pipedrive_staging.ref_id(deal_id) as deal_id,
        pipedrive_staging.ref_id(person_id) as person_id,
        pipedrive_staging.ref_id(added_by_user_id) as added_by_user_id,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        coalesce(pipedrive_staging.flag(is_deleted), not pipedrive_staging.flag(active_flag), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
