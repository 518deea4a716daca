-- one row per stage of each pipeline (not deleted): open deals in it, and deals that got at least that far
-- key: stage_id
create or replace view pipedrive.pipeline_funnel as
with stages as (
    select
        stages.pipeline_id,
        stages.pipeline_name,
        stages.id as stage_id,
        stages.name as stage_name,
        stages.order_nr as stage_order_nr
    from stages  -- pipedrive.stages: see the note in transforms/README.md
),

deals as (
    select pipeline_id, stage_id, stage_order_nr, status
    from deals_enriched
),

counted as (
    select
        stages.pipeline_id,
        stages.pipeline_name,
        stages.stage_id,
        stages.stage_name,
        stages.stage_order_nr,
        count(deals.status) filter (where deals.stage_id = stages.stage_id and deals.status = 'open') as open_deals,
        -- reached: won, or currently in this stage or a later one
        count(deals.status) filter (
            where deals.status = 'won' or deals.stage_order_nr >= stages.stage_order_nr
        ) as deals_reached,
        count(deals.status) filter (where deals.stage_id = stages.stage_id and deals.status = 'lost') as lost_deals
    from stages
    left join deals on deals.pipeline_id = stages.pipeline_id
    group by all
)

select
    *,
    deals_reached / nullif(
        lag(deals_reached) over (partition by pipeline_id order by stage_order_nr, stage_id), 0
    ) as conversion_from_previous_stage
from counted
order by pipeline_id, stage_order_nr, stage_id
