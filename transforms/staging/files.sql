-- one row per file in pipedrive_raw.files (API v1; metadata only, never the contents)
create or replace view pipedrive_staging.files as
with source as (
    select * from pipedrive_raw.files
),

renamed as (
    select
        id::bigint as id,
        pipedrive_staging.ref_id(user_id) as owner_id,
        pipedrive_staging.ref_id(deal_id) as deal_id,
        pipedrive_staging.ref_id(person_id) as person_id,
        pipedrive_staging.ref_id(org_id) as org_id,
        pipedrive_staging.ref_id(product_id) as product_id,
        pipedrive_staging.ref_id(activity_id) as activity_id,
        nullif(lead_id, '') as lead_id,
        name,
        file_name,
        file_type,
        try_cast(file_size as bigint) as file_size_bytes,
        nullif(description, '') as description,
        remote_location,
        url,
        nullif(deal_name, '') as deal_name,
        nullif(person_name, '') as person_name,
        nullif(org_name, '') as org_name,
        nullif(product_name, '') as product_name,
        nullif(lead_name, '') as lead_name,
        coalesce(pipedrive_staging.flag(inline_flag), false) as is_inline,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        coalesce(pipedrive_staging.flag(is_deleted), not pipedrive_staging.flag(active_flag), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
