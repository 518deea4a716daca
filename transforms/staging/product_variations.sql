-- one row per variation of a product in pipedrive_raw.product_variations (API v2)
create or replace view pipedrive_staging.product_variations as
with source as (
    select * from pipedrive_raw.product_variations
),

renamed as (
    select
        try_cast(id as bigint) as id,
        pipedrive_staging.ref_id(product_id) as product_id,
        name,
        prices,
        coalesce(pipedrive_staging.flag(is_deleted), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
