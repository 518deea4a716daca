-- one row per stage visit of a deal, until the next stage's entry: from Pipedrive's own history
-- (pipedrive_raw.deal_changes) for every deal whose history the sync has read, otherwise from the
-- sync's snapshots; one source per deal, so no visit is counted twice
-- key: deal_id, visit_nr
create or replace view pipedrive.deal_stage_history as
with deals as (
    select id, stage_id, add_time, stage_change_time, update_time from pipedrive_staging.deals
),

read_deals as (
    select distinct deal_id from pipedrive_staging.deal_history_reads
),

stage_moves as (
    select
        deal_id,
        changed_at,
        change_id,
        try_cast(old_value as bigint) as old_stage_id,
        try_cast(new_value as bigint) as new_stage_id
    from pipedrive_staging.deal_changes
    where field_key = 'stage_id' and deal_id in (select deal_id from read_deals)
),

move_bounds as (
    -- the stage a deal was in before its first move, and after its last
    select
        deal_id,
        arg_min(old_stage_id, (changed_at, change_id)) as first_stage_id,
        arg_max(new_stage_id, (changed_at, change_id)) as last_stage_id
    from stage_moves
    group by deal_id
),

history_entries as (
    -- the stage the deal was created in, entered when it was added
    select deals.id as deal_id, coalesce(move_bounds.first_stage_id, deals.stage_id) as stage_id,
        deals.add_time as entered_at, 0 as step
    from deals
    inner join read_deals on read_deals.deal_id = deals.id
    left join move_bounds on move_bounds.deal_id = deals.id
    union all
    select deal_id, new_stage_id, changed_at, 1 from stage_moves
    union all
    -- a move made after the history was last read shows in the deal itself until the next read
    select deals.id, deals.stage_id, coalesce(deals.stage_change_time, deals.update_time), 2
    from deals
    inner join read_deals on read_deals.deal_id = deals.id
    left join move_bounds on move_bounds.deal_id = deals.id
    where deals.stage_id is distinct from coalesce(move_bounds.last_stage_id, deals.stage_id)
),

snapshot_entries as (
    -- a snapshot that shows a different stage (or pipeline) than the one before it
    select deal_id, stage_id, update_time as entered_at, extracted_at
    from (
        select
            *,
            lag(stage_id) over deal_timeline as previous_stage_id,
            lag(pipeline_id) over deal_timeline as previous_pipeline_id
        from pipedrive_staging.deal_snapshots
        where deal_id not in (select deal_id from read_deals)
        window deal_timeline as (partition by deal_id order by update_time, extracted_at)
    )
    where previous_stage_id is distinct from stage_id or previous_pipeline_id is distinct from pipeline_id
),

entries as (
    select deal_id, stage_id, entered_at, step::varchar as tie_breaker, 'history' as source
    from (
        select *, lag(stage_id) over (partition by deal_id order by entered_at, step) as previous_stage_id
        from history_entries
    )
    where previous_stage_id is distinct from stage_id
    union all
    select deal_id, stage_id, entered_at, extracted_at::varchar, 'snapshots' from snapshot_entries
),

visits as (
    select
        deal_id,
        row_number() over deal_timeline as visit_nr,
        stage_id,
        entered_at,
        lead(entered_at) over deal_timeline as left_at,
        source
    from entries
    window deal_timeline as (partition by deal_id order by entered_at, tie_breaker)
),

stages as (
    select id, name, pipeline_id from pipedrive_staging.stages
),

pipelines as (
    select id, name from pipedrive_staging.pipelines
)

select
    visits.deal_id,
    visits.visit_nr,
    stages.pipeline_id,
    pipelines.name as pipeline_name,
    visits.stage_id,
    stages.name as stage_name,
    visits.entered_at,
    visits.left_at,
    visits.left_at is null as is_current,
    visits.source
from visits
left join stages on stages.id = visits.stage_id
left join pipelines on pipelines.id = stages.pipeline_id
order by visits.deal_id, visits.visit_nr
