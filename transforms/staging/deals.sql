-- one row per deal in pipedrive_raw.deals (deleted and archived included), v1 and v2 rows alike
create or replace view pipedrive_staging.deals as
with source as (
    select * from pipedrive_raw.deals
),

renamed as (
    select
        id::bigint as id,
        title,
        pipedrive_staging.ref_id(coalesce(owner_id, user_id)) as owner_id,
        pipedrive_staging.ref_id(person_id) as person_id,
        pipedrive_staging.ref_id(org_id) as org_id,
        pipedrive_staging.ref_id(pipeline_id) as pipeline_id,
        pipedrive_staging.ref_id(stage_id) as stage_id,
        try_cast(value as double) as value,
        currency,
        -- v1 reports a deleted deal as status 'deleted'; v2 keeps the status and sets is_deleted
        nullif(status, 'deleted') as status,
        try_cast(probability as double) as probability,
        lost_reason,
        try_cast(visible_to as integer) as visible_to,
        pipedrive_staging.id_list(coalesce(label_ids, label)) as label_ids,
        origin,
        try_cast(channel as bigint) as channel,
        source_lead_id,
        try_cast(expected_close_date as date) as expected_close_date,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        pipedrive_staging.utc_timestamp(stage_change_time) as stage_change_time,
        pipedrive_staging.utc_timestamp(close_time) as close_time,
        pipedrive_staging.utc_timestamp(won_time) as won_time,
        pipedrive_staging.utc_timestamp(lost_time) as lost_time,
        try_cast(arr as double) as arr,
        try_cast(mrr as double) as mrr,
        try_cast(acv as double) as acv,
        coalesce(pipedrive_staging.flag(coalesce(is_deleted, deleted)), status = 'deleted', false) as is_deleted,
        coalesce(pipedrive_staging.flag(coalesce(_archived, is_archived)), false) as is_archived,
        custom_fields,
        _source_api,
        -- when the sync wrote the row: lets the entity tables refresh only what changed
        try_cast(_extracted_at as timestamptz) as _extracted_at
    from source
)

select * from renamed
