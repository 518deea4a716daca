-- one row per note field in pipedrive_raw.note_fields (API v1; notes have no custom fields)
create or replace view pipedrive_staging.note_fields as
with source as (
    select * from pipedrive_raw.note_fields
),

renamed as (
    select
        key as field_key,
        try_cast(id as bigint) as field_id,
        name as field_name,
        field_type,
        options,
        coalesce(pipedrive_staging.flag(edit_flag), false) as is_editable,
        coalesce(pipedrive_staging.flag(mandatory_flag), false) as is_mandatory,
        coalesce(pipedrive_staging.flag(bulk_edit_allowed), false) as is_bulk_editable,
        coalesce(pipedrive_staging.flag(is_deleted), not pipedrive_staging.flag(active_flag), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
