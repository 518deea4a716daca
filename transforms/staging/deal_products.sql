-- one row per product attached to a deal in pipedrive_raw.deal_products
create or replace view pipedrive_staging.deal_products as
with expected_columns as (
    select
        null::varchar as id, null::varchar as deal_id, null::varchar as product_id,
        null::varchar as product_variation_id, null::varchar as name, null::varchar as order_nr,
        null::varchar as item_price, null::varchar as quantity, null::varchar as discount,
        null::varchar as discount_type, null::varchar as tax, null::varchar as tax_method, null::varchar as sum,
        null::varchar as currency, null::varchar as comments, null::varchar as is_enabled,
        null::varchar as enabled_flag, null::varchar as billing_frequency,
        null::varchar as billing_frequency_cycles, null::varchar as billing_start_date,
        null::varchar as add_time, null::varchar as update_time, null::varchar as is_deleted, null::varchar as _source_api
    where false
),

source as (
    select * from expected_columns
    union all by name
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
