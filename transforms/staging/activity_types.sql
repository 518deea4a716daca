-- one row per activity type in pipedrive_raw.activity_types (API v1 only)
create or replace view pipedrive_staging.activity_types as
with source as (
    select * from pipedrive_raw.activity_types
),

renamed as (
    select
        id::bigint as id,
        name,
        key_string,
        icon_key,
        color,
        try_cast(order_nr as integer) as order_nr,
        pipedrive_staging.flag(is_custom_flag) as is_custom,
        coalesce(pipedrive_staging.flag(active_flag), true) as is_active,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        -- the sync flags rows that vanished upstream
        coalesce(pipedrive_staging.flag(is_deleted), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
