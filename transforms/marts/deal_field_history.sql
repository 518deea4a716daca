-- one row per change of a deal field: field names and values resolved like the readable views
-- (option ids as labels, stages, pipelines, users, organizations and persons by name)
-- key: change_id
create or replace view pipedrive.deal_field_history as
with changes as (
    select * from pipedrive_staging.deal_changes
),

fields as (
    -- one definition per key (a field whose type changed can be listed twice)
    select field_key, any_value(field_name) as field_name, any_value(field_type) as field_type,
        bool_or(is_custom_field) as is_custom_field
    from pipedrive_staging.field_definitions
    where field_entity = 'deal_fields'
    group by field_key
),

custom_columns as (
    select field_key, any_value(column_name) as column_name
    from pipedrive_staging.custom_field_columns
    where field_entity = 'deal_fields'
    group by field_key
),

-- every (field, stored value) that has a readable label
value_labels as (
    select field_key, option_id::varchar as value, option_label as label
    from pipedrive_staging.field_options
    where field_entity = 'deal_fields'
    union all
    select 'stage_id', id::varchar, name from pipedrive_staging.stages
    union all
    select 'pipeline_id', id::varchar, name from pipedrive_staging.pipelines
    union all
    select fields.field_key, users.id::varchar, users.name
    from fields cross join pipedrive_staging.users as users where fields.field_type = 'user'
    union all
    select fields.field_key, organizations.id::varchar, organizations.name
    from fields cross join pipedrive_staging.organizations as organizations where fields.field_type = 'org'
    union all
    select fields.field_key, persons.id::varchar, persons.name
    from fields cross join pipedrive_staging.persons as persons where fields.field_type = 'people'
),

labelled_fields as (
    select distinct field_key from value_labels
),

-- a value of a labelled field is one id, or several (a set field, labels) separated by commas
value_parts as (
    select changes.change_id, 'old' as side, changes.field_key, unnest(string_split(changes.old_value, ',')) as part,
        generate_subscripts(string_split(changes.old_value, ','), 1) as position
    from changes where changes.field_key in (select field_key from labelled_fields)
    union all
    select changes.change_id, 'new', changes.field_key, unnest(string_split(changes.new_value, ',')),
        generate_subscripts(string_split(changes.new_value, ','), 1)
    from changes where changes.field_key in (select field_key from labelled_fields)
),

labels as (
    select
        value_parts.change_id,
        value_parts.side,
        string_agg(coalesce(value_labels.label, trim(value_parts.part)), ', ' order by value_parts.position) as label
    from value_parts
    left join value_labels
        on value_labels.field_key = value_parts.field_key and value_labels.value = trim(value_parts.part)
    group by all
)

select
    changes.change_id,
    changes.deal_id,
    changes.changed_at,
    changes.field_key,
    coalesce(fields.field_name, changes.field_key) as field_name,
    -- the column of pipedrive.deals that shows this field
    coalesce(custom_columns.column_name, changes.field_key) as column_name,
    fields.field_type,
    coalesce(fields.is_custom_field, false) as is_custom_field,
    changes.old_value,
    changes.new_value,
    coalesce(old_labels.label, changes.old_value) as old_label,
    coalesce(new_labels.label, changes.new_value) as new_label,
    changes.actor_user_id,
    actors.name as actor_name,
    changes.change_source,
    changes.is_bulk_update
from changes
left join fields on fields.field_key = changes.field_key
left join custom_columns on custom_columns.field_key = changes.field_key
left join labels as old_labels on old_labels.change_id = changes.change_id and old_labels.side = 'old'
left join labels as new_labels on new_labels.change_id = changes.change_id and new_labels.side = 'new'
left join pipedrive_staging.users as actors on actors.id = changes.actor_user_id
order by changes.deal_id, changes.changed_at, changes.field_key
