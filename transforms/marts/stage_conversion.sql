-- one row per stage of each pipeline (not deleted): how long deals stay in it, and how many of the
-- deals that entered it went on to a later stage of the pipeline (or were won), from deal_stage_history
-- key: stage_id
create or replace view pipedrive.stage_conversion as
with stages as (
    select
        stages.id as stage_id,
        stages.name as stage_name,
        stages.order_nr as stage_order_nr,
        stages.pipeline_id,
        pipelines.name as pipeline_name
    from pipedrive_staging.stages as stages
    left join pipedrive_staging.pipelines as pipelines on pipelines.id = stages.pipeline_id
    where not stages.is_deleted
),

live_deals as (
    select id as deal_id, status from pipedrive_staging.deals where not is_deleted
),

visits as (
    select
        history.deal_id,
        history.stage_id,
        history.pipeline_id,
        stages.stage_order_nr,
        history.entered_at,
        history.left_at,
        live_deals.status
    from deal_stage_history as history  -- pipedrive.deal_stage_history
    inner join live_deals on live_deals.deal_id = history.deal_id
    inner join stages on stages.stage_id = history.stage_id
),

judged as (
    select
        visits.*,
        -- time in the stage: until the next stage, or until now for the stage a deal is in
        date_diff('second', visits.entered_at, coalesce(visits.left_at, current_timestamp at time zone 'UTC'))
            / 86400.0 as days_in_stage,
        visits.status = 'won' or exists (
            select 1
            from visits as later
            where later.deal_id = visits.deal_id
              and later.pipeline_id = visits.pipeline_id
              and later.entered_at >= visits.entered_at
              and later.stage_order_nr > visits.stage_order_nr
        ) as went_on
    from visits
),

per_deal as (
    -- a deal that visited a stage twice counts once: it went on if any visit did
    select
        stage_id,
        deal_id,
        bool_or(went_on) as went_on,
        bool_or(left_at is null and status = 'open') as is_there_now,
        sum(days_in_stage) filter (where left_at is not null) as days_before_leaving
    from judged
    group by stage_id, deal_id
)

select
    stages.pipeline_id,
    stages.pipeline_name,
    stages.stage_id,
    stages.stage_name,
    stages.stage_order_nr,
    count(per_deal.deal_id) as deals_entered,
    count(per_deal.deal_id) filter (where per_deal.is_there_now) as deals_in_stage_now,
    count(per_deal.deal_id) filter (where per_deal.went_on) as deals_went_on,
    count(per_deal.deal_id) filter (where per_deal.went_on) / nullif(count(per_deal.deal_id), 0)
        as conversion_to_later_stage,
    median(per_deal.days_before_leaving) as median_days_in_stage,
    avg(per_deal.days_before_leaving) as avg_days_in_stage
from stages
left join per_deal on per_deal.stage_id = stages.stage_id
group by all
order by stages.pipeline_id, stages.stage_order_nr, stages.stage_id
