-- one row per (entity, column) of the readable entity views: which Pipedrive field it shows, and its options
-- (a table, built with the views: it reads the catalog, which a view could only do under the file's own name)
-- key: entity, column_name
create or replace table pipedrive.field_dictionary as
with entity_field_sources as (
    -- generated from transforms/tables.py and the models in entities/: readable entity -> field entity
    select * from pipedrive_staging.readable_entities
),

entity_columns as (
    select
        columns.table_name as entity,
        columns.column_name,
        columns.data_type,
        columns.ordinal_position,
        entity_field_sources.field_entity
    from information_schema.columns as columns
    inner join entity_field_sources on entity_field_sources.entity = columns.table_name
    where columns.table_schema = 'pipedrive' and columns.table_catalog = current_database()
),

custom_columns as (
    select * from pipedrive_staging.custom_field_columns
),

builtin_fields as (
    select * from pipedrive_staging.field_definitions
    where not is_custom_field
),

options as (
    select
        field_entity,
        field_key,
        list({'id': option_id, 'label': option_label} order by option_id) as options
    from pipedrive_staging.field_options
    group by field_entity, field_key
),

described as (
    select
        entity_columns.entity,
        entity_columns.column_name,
        coalesce(custom_columns.field_key, builtin_fields.field_key) as field_key,
        coalesce(custom_columns.field_name, builtin_fields.field_name) as field_name,
        coalesce(custom_columns.field_type, builtin_fields.field_type) as field_type,
        custom_columns.field_key is not null as is_custom,
        entity_columns.data_type,
        entity_columns.field_entity,
        entity_columns.ordinal_position
    from entity_columns
    left join custom_columns
        on custom_columns.field_entity = entity_columns.field_entity
        and custom_columns.column_name = entity_columns.column_name
    left join builtin_fields
        on builtin_fields.field_entity = entity_columns.field_entity
        and builtin_fields.field_key = entity_columns.column_name
)

select
    described.entity,
    described.column_name,
    described.field_key,
    described.field_name,
    described.field_type,
    described.is_custom,
    described.data_type,
    options.options
from described
left join options
    on options.field_entity = described.field_entity
    and options.field_key = described.field_key
order by described.entity, described.ordinal_position
