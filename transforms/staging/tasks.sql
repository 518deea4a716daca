-- one row per project task in pipedrive_raw.tasks (API v2)
create or replace view pipedrive_staging.tasks as
with source as (
    select * from pipedrive_raw.tasks
),

renamed as (
    select
        id::bigint as id,
        title,
        description,
        pipedrive_staging.ref_id(creator_id) as creator_id,
        pipedrive_staging.ref_id(project_id) as project_id,
        coalesce(pipedrive_staging.flag(is_done), false) as is_done,
        coalesce(pipedrive_staging.flag(is_milestone), false) as is_milestone,
        try_cast(due_date as date) as due_date,
        try_cast(start_date as date) as start_date,
        pipedrive_staging.ref_id(parent_task_id) as parent_task_id,
        pipedrive_staging.id_list(assignee_ids) as assignee_ids,
        try_cast(priority as integer) as priority,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        pipedrive_staging.utc_timestamp(marked_as_done_time) as marked_as_done_time,
        coalesce(pipedrive_staging.flag(is_deleted), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
