-- one row per product attached to a deal in pipedrive_raw.deal_products
create or replace view pipedrive_staging.deal_products as
with source as (
    select * from pipedrive_raw.deal_products
),

renamed as (
    select
        id::bigint as id,
        pipedrive_staging.ref_id(deal_id) as deal_id,
        pipedrive_staging.ref_id(product_id) as product_id,
        try_cast(product_variation_id as bigint) as product_variation_id,
        name,
        try_cast(order_nr as integer) as order_nr,
        try_cast(item_price as double) as item_price,
        try_cast(quantity as double) as quantity,
        try_cast(discount as double) as discount,
        discount_type,
        try_cast(tax as double) as tax,
        tax_method,
        try_cast(sum as double) as sum,
        currency,
        comments,
        coalesce(pipedrive_staging.flag(coalesce(is_enabled, enabled_flag)), true) as is_enabled,
        billing_frequency,
        try_cast(billing_frequency_cycles as integer) as billing_frequency_cycles,
        try_cast(billing_start_date as date) as billing_start_date,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        -- the sync flags rows that vanished upstream
        coalesce(pipedrive_staging.flag(is_deleted), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
