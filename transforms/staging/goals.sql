-- one row per goal in pipedrive_raw.goals (API v1 `/goals/find`, active and inactive)
create or replace view pipedrive_staging.goals as
with source as (
    select * from pipedrive_raw.goals
),

renamed as (
    select
        id::varchar as id,
        title,
        pipedrive_staging.ref_id(owner_id) as owner_id,
        json_extract_string(type, '$.name') as type_name,
        json_extract(type, '$.params')::varchar as type_params,
        try_cast(json_extract_string(assignee, '$.id') as bigint) as assignee_id,
        json_extract_string(assignee, '$.type') as assignee_type,
        interval,
        try_cast(json_extract_string(duration, '$.start') as date) as period_start,
        try_cast(json_extract_string(duration, '$.end') as date) as period_end,
        try_cast(json_extract_string(expected_outcome, '$.target') as double) as target,
        json_extract_string(expected_outcome, '$.tracking_metric') as tracking_metric,
        coalesce(pipedrive_staging.flag(is_active), true) as is_active,
        coalesce(pipedrive_staging.flag(is_deleted), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
