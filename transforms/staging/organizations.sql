-- one row per organization in pipedrive_raw.organizations (deleted included), v1 and v2 rows alike
create or replace view pipedrive_staging.organizations as
with source as (
    select * from pipedrive_raw.organizations
),

renamed as (
    select
        id::bigint as id,
        name,
        pipedrive_staging.ref_id(owner_id) as owner_id,
        -- v2: an address object; v1: the typed text plus flat address_* keys
        case
            when starts_with(ltrim(address), '{')
                then coalesce(address ->> 'formatted_address', address ->> 'value')
            else coalesce(address_formatted_address, address)
        end as address,
        pipedrive_staging.id_list(label_ids) as label_ids,
        try_cast(visible_to as integer) as visible_to,
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
