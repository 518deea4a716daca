-- one row per deal that is not deleted, with stage, pipeline, owner, organization and person names
-- key: id
create or replace view pipedrive.deals_enriched as
with deals as (
    select * from deals  -- pipedrive.deals: see the note in transforms/README.md
),

stages as (
    select id, name, order_nr from pipedrive_staging.stages
),

pipelines as (
    select id, name from pipedrive_staging.pipelines
),

users as (
    select id, name from pipedrive_staging.users
),

organizations as (
    select id, name from pipedrive_staging.organizations
),

persons as (
    select id, name from pipedrive_staging.persons
),

today as (
    select (current_timestamp at time zone 'UTC')::date as utc_date
)

select
    deals.id,
    deals.title,
    deals.status,
    deals.status = 'open' as is_open,
    deals.status = 'won' as is_won,
    deals.status = 'lost' as is_lost,
    deals.value,
    deals.currency,
    deals.pipeline_id,
    pipelines.name as pipeline_name,
    deals.stage_id,
    stages.name as stage_name,
    stages.order_nr as stage_order_nr,
    deals.owner_id,
    users.name as owner_name,
    deals.org_id,
    organizations.name as organization_name,
    deals.person_id,
    persons.name as person_name,
    deals.probability,
    deals.expected_close_date,
    deals.is_archived,
    deals.add_time,
    deals.update_time,
    deals.stage_change_time,
    deals.close_time,
    deals.won_time,
    deals.lost_time,
    deals.lost_reason,
    -- whole UTC calendar days since the deal was added, and since it entered its current stage
    date_diff('day', deals.add_time::date, today.utc_date) as age_days,
    date_diff('day', coalesce(deals.stage_change_time, deals.add_time)::date, today.utc_date) as days_in_stage
from deals
cross join today
left join stages on stages.id = deals.stage_id
left join pipelines on pipelines.id = deals.pipeline_id
left join users on users.id = deals.owner_id
left join organizations on organizations.id = deals.org_id
left join persons on persons.id = deals.person_id
