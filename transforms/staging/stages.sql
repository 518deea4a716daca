-- one row per stage in pipedrive_raw.stages (deleted included), v1 and v2 rows alike
create or replace view pipedrive_staging.stages as
with source as (
    select * from pipedrive_raw.stages
),

renamed as (
    select
        id::bigint as id,
        name,
        try_cast(order_nr as integer) as order_nr,
        pipedrive_staging.ref_id(pipeline_id) as pipeline_id,
        try_cast(deal_probability as integer) as deal_probability,
        pipedrive_staging.flag(coalesce(is_deal_rot_enabled, rotten_flag)) as is_deal_rot_enabled,
        try_cast(coalesce(days_to_rotten, rotten_days) as integer) as days_to_rotten,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        coalesce(pipedrive_staging.flag(is_deleted), not pipedrive_staging.flag(active_flag), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
