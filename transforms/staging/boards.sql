-- one row per project board in pipedrive_raw.boards (API v2)
create or replace view pipedrive_staging.boards as
with source as (
    select * from pipedrive_raw.boards
),

renamed as (
    select
        id::bigint as id,
        name,
        try_cast(order_nr as integer) as order_nr,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        coalesce(pipedrive_staging.flag(is_deleted), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
