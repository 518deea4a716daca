-- one row per stage visit of a deal: from the first snapshot seen in a stage until the next stage's
-- key: deal_id, visit_nr
create or replace view pipedrive.deal_stage_history as
with snapshots as (
    select * from pipedrive_staging.deal_snapshots
),

with_previous as (
    select
        *,
        lag(stage_id) over deal_timeline as previous_stage_id,
        lag(pipeline_id) over deal_timeline as previous_pipeline_id
    from snapshots
    window deal_timeline as (partition by deal_id order by update_time, extracted_at)
),

stage_entries as (
    -- a snapshot that shows a different stage (or pipeline) than the one before it
    select deal_id, pipeline_id, stage_id, update_time as entered_at, extracted_at
    from with_previous
    where previous_stage_id is distinct from stage_id or previous_pipeline_id is distinct from pipeline_id
),

visits as (
    select
        deal_id,
        row_number() over deal_timeline as visit_nr,
        pipeline_id,
        stage_id,
        entered_at,
        lead(entered_at) over deal_timeline as left_at
    from stage_entries
    window deal_timeline as (partition by deal_id order by entered_at, extracted_at)
),

stages as (
    select id, name from pipedrive_staging.stages
),

pipelines as (
    select id, name from pipedrive_staging.pipelines
)

select
    visits.deal_id,
    visits.visit_nr,
    visits.pipeline_id,
    pipelines.name as pipeline_name,
    visits.stage_id,
    stages.name as stage_name,
    visits.entered_at,
    visits.left_at,
    visits.left_at is null as is_current
from visits
left join stages on stages.id = visits.stage_id
left join pipelines on pipelines.id = visits.pipeline_id
order by visits.deal_id, visits.visit_nr
