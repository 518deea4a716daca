-- one row per state of a deal that a sync saw (deal_id, update_time; extracted_at: last seen), for stage history
create or replace view pipedrive_staging.deal_snapshots as
with source as (
    select * from pipedrive_raw.deal_snapshots
),

renamed as (
    select
        id::bigint as deal_id,
        pipedrive_staging.ref_id(stage_id) as stage_id,
        pipedrive_staging.ref_id(pipeline_id) as pipeline_id,
        nullif(status, 'deleted') as status,
        try_cast(value as double) as value,
        currency,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        coalesce(pipedrive_staging.flag(is_deleted), status = 'deleted', false) as is_deleted,
        coalesce(pipedrive_staging.flag(_archived), false) as is_archived,
        pipedrive_staging.utc_timestamp(_extracted_at) as extracted_at
    from source
)

select * from renamed
