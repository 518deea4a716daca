-- one row per option of a field that has options: enum and set fields, and built-in fields such as
-- deals' visible_to (option ids are unique within a field)
create or replace view pipedrive_staging.field_options as
with option_lists as (
    select
        field_entity,
        field_key,
        unnest(from_json(options, '[{"id": "BIGINT", "label": "VARCHAR"}]')) as option
    from pipedrive_staging.field_definitions
    where options is not null
)

select
    field_entity,
    field_key,
    option.id as option_id,
    option.label as option_label
from option_lists
