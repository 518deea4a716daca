-- one row per currency in pipedrive_raw.currencies (API v1 only)
create or replace view pipedrive_staging.currencies as
with source as (
    select * from pipedrive_raw.currencies
),

renamed as (
    select
        id::bigint as id,
        code,
        name,
        symbol,
        try_cast(decimal_points as integer) as decimal_points,
        pipedrive_staging.flag(is_custom_flag) as is_custom,
        coalesce(pipedrive_staging.flag(active_flag), true) as is_active,
        -- the sync flags rows that vanished upstream
        coalesce(pipedrive_staging.flag(is_deleted), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
