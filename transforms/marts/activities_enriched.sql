-- one row per activity that is not deleted, with owner, type, deal, person and organization names
-- key: id
create or replace view pipedrive.activities_enriched as
with activities as (
    select * from activities  -- pipedrive.activities: see the note in transforms/README.md
),

activity_types as (
    select key_string, name from pipedrive_staging.activity_types
),

users as (
    select id, name from pipedrive_staging.users
),

deals as (
    select id, title from pipedrive_staging.deals
),

persons as (
    select id, name from pipedrive_staging.persons
),

organizations as (
    select id, name from pipedrive_staging.organizations
),

today as (
    select (current_timestamp at time zone 'UTC')::date as utc_date
)

select
    activities.id,
    activities.subject,
    activities.type,
    activity_types.name as type_name,
    activities.owner_id,
    users.name as owner_name,
    activities.deal_id,
    deals.title as deal_title,
    activities.person_id,
    persons.name as person_name,
    activities.org_id,
    organizations.name as organization_name,
    activities.lead_id,
    activities.due_date,
    activities.due_time,
    activities.duration,
    activities.is_done,
    not activities.is_done and activities.due_date < today.utc_date as is_overdue,
    activities.marked_as_done_time,
    activities.add_time,
    activities.update_time
from activities
cross join today
left join activity_types on activity_types.key_string = activities.type
left join users on users.id = activities.owner_id
left join deals on deals.id = activities.deal_id
left join persons on persons.id = activities.person_id
left join organizations on organizations.id = activities.org_id
