-- one row per sync run in pipedrive_raw.sync_runs (written by the sync itself, not read from Pipedrive)
create or replace view pipedrive_staging.sync_runs as
with source as (
    select * from pipedrive_raw.sync_runs
),

renamed as (
    select
        run_id,
        started_at at time zone 'UTC' as started_at,
        ended_at at time zone 'UTC' as ended_at,
        date_diff('millisecond', started_at, ended_at) / 1000.0 as duration_s,
        outcome,
        message,
        rows,
        try_cast(rows_per_entity as json) as rows_per_entity,
        requests,
        tokens,
        tokens_left_today,
        try_cast(entities_skipped as json) as entities_skipped,
        full_refresh,
        resources
    from source
)

select * from renamed
