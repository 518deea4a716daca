-- one row per project in pipedrive_raw.projects (API v2; archived ones too, `is_archived`)
create or replace view pipedrive_staging.projects as
with source as (
    select * from pipedrive_raw.projects
),

renamed as (
    select
        id::bigint as id,
        title,
        description,
        status,
        pipedrive_staging.ref_id(board_id) as board_id,
        pipedrive_staging.ref_id(phase_id) as phase_id,
        pipedrive_staging.ref_id(owner_id) as owner_id,
        try_cast(start_date as date) as start_date,
        try_cast(end_date as date) as end_date,
        pipedrive_staging.id_list(deal_ids) as deal_ids,
        pipedrive_staging.id_list(person_ids) as person_ids,
        pipedrive_staging.id_list(org_ids) as org_ids,
        pipedrive_staging.id_list(label_ids) as label_ids,
        health_status,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        pipedrive_staging.utc_timestamp(status_change_time) as status_change_time,
        pipedrive_staging.utc_timestamp(archive_time) as archive_time,
        coalesce(pipedrive_staging.flag(_archived), archive_time is not null) as is_archived,
        coalesce(pipedrive_staging.flag(is_deleted), false) as is_deleted,
        custom_fields,
        _source_api,
        try_cast(_extracted_at as timestamptz) as _extracted_at
    from source
)

select * from renamed
