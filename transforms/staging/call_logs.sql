-- one row per call log in pipedrive_raw.call_logs (API v1)
create or replace view pipedrive_staging.call_logs as
with source as (
    select * from pipedrive_raw.call_logs
),

renamed as (
    select
        id::varchar as id,
        pipedrive_staging.ref_id(activity_id) as activity_id,
        pipedrive_staging.ref_id(person_id) as person_id,
        pipedrive_staging.ref_id(org_id) as org_id,
        pipedrive_staging.ref_id(deal_id) as deal_id,
        lead_id,
        pipedrive_staging.ref_id(user_id) as user_id,
        subject,
        try_cast(duration as integer) as duration_seconds,
        outcome,
        from_phone_number,
        to_phone_number,
        coalesce(pipedrive_staging.flag(has_recording), false) as has_recording,
        pipedrive_staging.utc_timestamp(start_time) as start_time,
        pipedrive_staging.utc_timestamp(end_time) as end_time,
        note,
        coalesce(pipedrive_staging.flag(is_deleted), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
