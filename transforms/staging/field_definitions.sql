-- one row per field definition (built-in and custom) of each field entity, from pipedrive_raw.*_fields;
-- a field deleted upstream stays in the raw table flagged is_deleted and is left out here.
-- `field_key` is the API's `field_code` (the name every layer we build uses).
create or replace view pipedrive_staging.field_definitions as
with all_fields as (
    -- generated from transforms/tables.py: every field entity's raw table, with its field_entity
    select * from pipedrive_staging.raw_fields
)

select
    field_entity,
    field_code as field_key,
    field_name,
    field_type,
    coalesce(pipedrive_staging.flag(is_custom_field), false) as is_custom_field,
    description,
    options,
    subfields
from all_fields
where not coalesce(pipedrive_staging.flag(is_deleted), false)
