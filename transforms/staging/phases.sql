-- one row per phase of a project board in pipedrive_raw.phases (API v2)
create or replace view pipedrive_staging.phases as
with source as (
    select * from pipedrive_raw.phases
),

renamed as (
    select
        id::bigint as id,
        name,
        pipedrive_staging.ref_id(board_id) as board_id,
        try_cast(order_nr as integer) as order_nr,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        coalesce(pipedrive_staging.flag(is_deleted), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
