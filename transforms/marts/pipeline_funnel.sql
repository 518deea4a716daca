-- one row per stage of each pipeline (not deleted): open deals in it, and deals that got at least that far
-- (won, in it or a later stage now, or in it or a later stage at any time of their history)
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

furthest as (
    -- the furthest stage each deal ever reached in a pipeline (deal_stage_history)
    select history.deal_id, history.pipeline_id, max(stages.stage_order_nr) as stage_order_nr
    from deal_stage_history as history
    inner join stages on stages.stage_id = history.stage_id
    group by history.deal_id, history.pipeline_id
),

deals as (
    select
        deals_enriched.pipeline_id,
        deals_enriched.stage_id,
        deals_enriched.stage_order_nr,
        deals_enriched.status,
        greatest(deals_enriched.stage_order_nr, furthest.stage_order_nr) as furthest_order_nr
    from deals_enriched
    left join furthest
        on furthest.deal_id = deals_enriched.id and furthest.pipeline_id = deals_enriched.pipeline_id
),

counted as (
    select
        stages.pipeline_id,
        stages.pipeline_name,
        stages.stage_id,
        stages.stage_name,
        stages.stage_order_nr,
        count(deals.status) filter (where deals.stage_id = stages.stage_id and deals.status = 'open') as open_deals,
        -- reached: won, or in this stage or a later one now or at some time of its history
        count(deals.status) filter (
            where deals.status = 'won' or deals.furthest_order_nr >= stages.stage_order_nr
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
