-- one row per activity in pipedrive_raw.activities (deleted included), v1 and v2 rows alike
create or replace view pipedrive_staging.activities as
with source as (
    select * from pipedrive_raw.activities
),

renamed as (
    select
        id::bigint as id,
        subject,
        type,
        pipedrive_staging.ref_id(coalesce(owner_id, user_id)) as owner_id,
        pipedrive_staging.ref_id(coalesce(creator_user_id, created_by_user_id)) as creator_user_id,
        pipedrive_staging.ref_id(deal_id) as deal_id,
        lead_id,
        pipedrive_staging.ref_id(person_id) as person_id,
        pipedrive_staging.ref_id(org_id) as org_id,
        try_cast(due_date as date) as due_date,
        try_cast(nullif(due_time, '') as time) as due_time,
        try_cast(nullif(duration, '') as time) as duration,
        pipedrive_staging.flag(coalesce(busy, busy_flag)) as is_busy,
        coalesce(pipedrive_staging.flag(done), false) as is_done,
        pipedrive_staging.utc_timestamp(marked_as_done_time) as marked_as_done_time,
        note,
        try_cast(priority as integer) as priority,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        coalesce(pipedrive_staging.flag(is_deleted), not pipedrive_staging.flag(active_flag), false) as is_deleted,
        custom_fields,
        _source_api,
        -- when the sync wrote the row: lets the entity tables refresh only what changed
        try_cast(_extracted_at as timestamptz) as _extracted_at
    from source
)

select * from renamed
