-- one row per activity type in pipedrive_raw.activity_types (API v1 only)
create or replace view pipedrive_staging.activity_types as
with expected_columns as (
    select
        null::varchar as id, null::varchar as name, null::varchar as key_string, null::varchar as icon_key,
        null::varchar as color, null::varchar as order_nr, null::varchar as is_custom_flag,
        null::varchar as active_flag, null::varchar as add_time, null::varchar as update_time,
        null::varchar as is_deleted, null::varchar as _source_api
    where false
),

source as (
    select * from expected_columns
    union all by name
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
