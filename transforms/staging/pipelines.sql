-- one row per pipeline in pipedrive_raw.pipelines (deleted included), v1 and v2 rows alike
create or replace view pipedrive_staging.pipelines as
with source as (
    select * from pipedrive_raw.pipelines
),

renamed as (
    select
        id::bigint as id,
        name,
        try_cast(order_nr as integer) as order_nr,
        pipedrive_staging.flag(coalesce(is_deal_probability_enabled, deal_probability))
            as is_deal_probability_enabled,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        coalesce(pipedrive_staging.flag(is_deleted), not pipedrive_staging.flag(active), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
