-- one row per lead label in pipedrive_raw.lead_labels (API v1 only)
create or replace view pipedrive_staging.lead_labels as
with source as (
    select * from pipedrive_raw.lead_labels
),

renamed as (
    select
        id::varchar as id,
        name,
        color,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        -- the sync flags rows that vanished upstream
        coalesce(pipedrive_staging.flag(is_deleted), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
