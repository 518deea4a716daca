-- one row per saved filter in pipedrive_raw.filters (API v1)
create or replace view pipedrive_staging.filters as
with source as (
    select * from pipedrive_raw.filters
),

renamed as (
    select
        id::bigint as id,
        name,
        type as filter_type,
        pipedrive_staging.ref_id(user_id) as owner_id,
        visible_to,
        coalesce(pipedrive_staging.flag(is_editable), false) as is_editable,
        coalesce(pipedrive_staging.flag(temporary_flag), false) as is_temporary,
        try_cast(custom_view_id as bigint) as custom_view_id,
        pipedrive_staging.utc_timestamp(last_used_time) as last_used_time,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        coalesce(pipedrive_staging.flag(is_deleted), not pipedrive_staging.flag(active_flag), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
