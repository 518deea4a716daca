-- one row per product in pipedrive_raw.products (deleted included), v1 and v2 rows alike
create or replace view pipedrive_staging.products as
with source as (
    select * from pipedrive_raw.products
),

renamed as (
    select
        id::bigint as id,
        name,
        code,
        description,
        unit,
        try_cast(tax as double) as tax,
        category,
        pipedrive_staging.ref_id(owner_id) as owner_id,
        pipedrive_staging.flag(coalesce(is_linkable, selectable)) as is_linkable,
        try_cast(visible_to as integer) as visible_to,
        -- one {currency, price, cost, direct_cost} per currency (v1 calls direct cost `overhead_cost`)
        list_transform(
            from_json(prices, '[{"currency": "VARCHAR", "price": "DOUBLE", "cost": "DOUBLE", "direct_cost": "DOUBLE", "overhead_cost": "DOUBLE"}]'),
            lambda price: {
                'currency': price.currency,
                'price': price.price,
                'cost': price.cost,
                'direct_cost': coalesce(price.direct_cost, price.overhead_cost)
            }
        ) as prices,
        billing_frequency,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        coalesce(pipedrive_staging.flag(is_deleted), not pipedrive_staging.flag(active_flag), false) as is_deleted,
        custom_fields,
        _source_api,
        -- when the sync wrote the row: lets the entity tables refresh only what changed
        try_cast(_extracted_at as timestamptz) as _extracted_at
    from source
)

select * from renamed
