-- one row per note in pipedrive_raw.notes (API v1 only)
create or replace view pipedrive_staging.notes as
with source as (
    select * from pipedrive_raw.notes
),

renamed as (
    select
        id::bigint as id,
        content,
        pipedrive_staging.ref_id(user_id) as owner_id,
        pipedrive_staging.ref_id(deal_id) as deal_id,
        pipedrive_staging.ref_id(person_id) as person_id,
        pipedrive_staging.ref_id(org_id) as org_id,
        lead_id,
        coalesce(pipedrive_staging.flag(pinned_to_deal_flag), false) as is_pinned_to_deal,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        coalesce(pipedrive_staging.flag(is_deleted), not pipedrive_staging.flag(active_flag), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
