-- one row per field definition (built-in and custom) of each field entity, from pipedrive_raw.*_fields;
-- a field deleted upstream stays in the raw table flagged is_deleted and is left out here
create or replace view pipedrive_staging.field_definitions as
with expected_columns as (
    select
        null::varchar as field_code, null::varchar as field_name, null::varchar as field_type,
        null::varchar as options, null::varchar as subfields, null::varchar as is_custom_field,
        null::varchar as description, null::boolean as is_deleted
    where false
),

deal_fields as (
    select 'deal_fields' as field_entity, * from expected_columns
    union all by name
    select 'deal_fields' as field_entity, * from pipedrive_raw.deal_fields
),

person_fields as (
    select 'person_fields' as field_entity, * from expected_columns
    union all by name
    select 'person_fields' as field_entity, * from pipedrive_raw.person_fields
),

organization_fields as (
    select 'organization_fields' as field_entity, * from expected_columns
    union all by name
    select 'organization_fields' as field_entity, * from pipedrive_raw.organization_fields
),

product_fields as (
    select 'product_fields' as field_entity, * from expected_columns
    union all by name
    select 'product_fields' as field_entity, * from pipedrive_raw.product_fields
),

activity_fields as (
    select 'activity_fields' as field_entity, * from expected_columns
    union all by name
    select 'activity_fields' as field_entity, * from pipedrive_raw.activity_fields
),

all_fields as (
    select * from deal_fields
    union all by name select * from person_fields
    union all by name select * from organization_fields
    union all by name select * from product_fields
    union all by name select * from activity_fields
)

select
    field_entity,
    field_code,
    field_name,
    field_type,
    coalesce(pipedrive_staging.flag(is_custom_field), false) as is_custom_field,
    description,
    options,
    subfields
from all_fields
where not coalesce(is_deleted, false)
