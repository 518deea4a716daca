"""Readable entity tables with one column per custom field: the SQL generated from field definitions.

Custom fields differ in every account, so the entity tables (`pipedrive.deals_all`, view
`pipedrive.deals`, ...) are written here from the field definitions: each custom field becomes
columns named by transforms.naming, with values read from the staging view's `custom_fields` JSON
in either API shape (v1 flat map or v2 object) and option ids turned into labels. Which entities
get them: `tables.ENTITY_FIELDS`. The only other generated SQL comes from the map of raw tables
(`raw_relations.py`); everything else in transforms/ is plain SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from transforms.naming import Assignment, CustomField
from transforms.tables import ENTITY_FIELDS

ADDRESS_PARTS = (
    "street_number", "route", "subpremise", "sublocality", "locality", "admin_area_level_1",
    "admin_area_level_2", "country", "postal_code",
)  # fmt: skip

# field type -> column suffixes it produces ("" is the column named after the field)
VALUE_COLUMNS: dict[str, tuple[str, ...]] = {
    "monetary": ("", "_currency"),
    "daterange": ("_start", "_end"),
    "time": ("", "_timezone_id", "_timezone"),
    "timerange": ("_start", "_end", "_timezone_id", "_timezone"),
    "address": ("", *(f"_{part}" for part in ADDRESS_PARTS)),
}

# v1 keeps the parts of a composite value in keys named `<hash><suffix>`; these are all we read
V1_KEY_SUFFIXES = (
    "_currency", "_until", "_timezone_id", "_timezone_name", "_formatted_address",
    *(f"_{part}" for part in ADDRESS_PARTS),
)  # fmt: skip


@dataclass(frozen=True)
class FieldDefinition:
    key: str
    name: str
    field_type: str

    def as_custom_field(self) -> CustomField:
        return CustomField(self.key, self.name, VALUE_COLUMNS.get(self.field_type, ("",)))


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def part(field: FieldDefinition, v2_path: str | None, v1_suffix: str = "") -> str:
    """One scalar of a custom-field value as text, whichever API shape the row came in."""
    v2 = f"cf.{quote(field.key)} ->> {literal('$' if v2_path is None else '$.' + v2_path)}"
    v1 = f"cf.{quote(field.key + v1_suffix)} ->> '$'"
    if v1 == v2:
        return v2
    return f"case when _source_api = 'v1' then {v1} else {v2} end"


def value_columns(field: FieldDefinition, column: str) -> list[tuple[str, str]]:
    """(SQL expression, column name) pairs for one custom field."""
    kind = field.field_type
    labels = f"option_labels.{quote(field.key)}"
    if kind == "double":
        return [(f"try_cast({part(field, None)} as double)", column)]
    if kind == "date":
        return [(f"try_cast({part(field, None)} as date)", column)]
    if kind in ("user", "org", "people"):
        return [(f"pipedrive_staging.ref_id({part(field, None)})", column)]
    if kind == "enum":
        option_id = part(field, None)
        return [(f"coalesce({labels}[try_cast({option_id} as bigint)], {option_id})", column)]
    if kind == "set":
        option_ids = (
            f"case when _source_api = 'v1' then string_split(cf.{quote(field.key)} ->> '$', ',') "
            f"else from_json(cf.{quote(field.key)}, '[\"VARCHAR\"]') end"
        )
        label = f"coalesce({labels}[try_cast(trim(option_id) as bigint)], trim(option_id))"
        return [(f"list_transform(list_filter({option_ids}, lambda option_id: trim(option_id) <> ''), "
                 f"lambda option_id: {label})", column)]  # fmt: skip
    if kind == "monetary":
        return [
            (f"try_cast({part(field, 'value')} as double)", column),
            (part(field, "currency", "_currency"), column + "_currency"),
        ]
    if kind == "daterange":
        return [
            (f"try_cast({part(field, 'value')} as date)", column + "_start"),
            (f"try_cast({part(field, 'until', '_until')} as date)", column + "_end"),
        ]
    if kind in ("time", "timerange"):
        start = f"try_cast({part(field, 'value')} as time)"
        times = [(start, column)] if kind == "time" else [
            (start, column + "_start"),
            (f"try_cast({part(field, 'until', '_until')} as time)", column + "_end"),
        ]  # fmt: skip
        return times + [
            (f"try_cast({part(field, 'timezone_id', '_timezone_id')} as bigint)", column + "_timezone_id"),
            (part(field, "timezone_name", "_timezone_name"), column + "_timezone"),
        ]
    if kind == "address":
        formatted = part(field, "formatted_address", "_formatted_address")
        columns = [(f"coalesce({formatted}, {part(field, 'value')})", column)]
        return columns + [(part(field, name, f"_{name}"), f"{column}_{name}") for name in ADDRESS_PARTS]
    return [(part(field, None), column)]


def builtin_label_columns(entity: str, builtin_options: list[FieldDefinition]) -> list[tuple[str, str]]:
    """Built-in fields with options (deals' channel, label_ids, visible_to, ...): their ids shown as
    labels from the field definitions, like custom fields, in the column of the same name."""
    columns = []
    for field in builtin_options:
        labels = f"option_labels.{quote(field.key)}"
        value = f"records.{quote(field.key)}"
        if field.field_type == "set":
            label = f"coalesce({labels}[option_id::bigint], option_id::varchar)"
            columns.append((f"list_transform({value}, lambda option_id: {label})", field.key))
        else:
            columns.append((f"coalesce({labels}[{value}::bigint], {value}::varchar)", field.key))
    return columns


def json_keys(fields: list[FieldDefinition]) -> list[str]:
    """Every key of the custom_fields JSON the view reads: the hashes and their v1 suffixed keys."""
    keys = []
    for field in fields:
        keys.append(field.key)
        if field.field_type in VALUE_COLUMNS:
            keys.extend(field.key + suffix for suffix in V1_KEY_SUFFIXES)
    return keys


def entity_select_sql(
    entity: str,
    fields: list[FieldDefinition],
    columns: dict[str, Assignment],
    only_changed: bool = False,
    builtin_options: list[FieldDefinition] = (),
) -> str:
    """The rows of `pipedrive.<entity>_all`: staging rows plus one readable column per custom-field value.

    only_changed: just the rows the sync wrote after the `$extracted_after` parameter.
    builtin_options: built-in fields with options whose staging column shows labels instead of ids.
    """
    field_entity = ENTITY_FIELDS[entity]
    keys = json_keys(fields)
    structure = "{" + ", ".join(f'"{key}": "JSON"' for key in keys) + "}"
    parsed = f"from_json(custom_fields, {literal(structure)})" if keys else "null::json"
    option_fields = [field for field in fields if field.field_type in ("enum", "set")] + list(builtin_options)
    option_maps = [
        f"map_from_entries(list((option_id, option_label)) filter (where field_key = {literal(field.key)}))"
        f" as {quote(field.key)}"
        for field in option_fields
    ]
    readable = [
        f"{expression} as {quote(name)}"
        for field in sorted(fields, key=lambda field: columns[field.key].column)
        for expression, name in value_columns(field, columns[field.key].column)
    ]
    relabelled = [
        f"{expression} as {quote(name)}"
        for expression, name in builtin_label_columns(entity, builtin_options)
    ]
    excluded = ", ".join(
        ["custom_fields", "cf", "_source_api", "_extracted_at", *map(quote, (f.key for f in builtin_options))]
    )
    select_list = ",\n    ".join([f"records.* exclude ({excluded})", *relabelled, *readable])
    changed = "\n    where _extracted_at > $extracted_after" if only_changed else ""
    # an aggregate, so that option_labels is always exactly one row
    option_list = ",\n        ".join(["count(*) as option_count", *option_maps])
    return f"""-- one row per {entity} record, deleted included; generated by transforms/custom_fields.py
with records as (
    select *, {parsed} as cf
    from pipedrive_staging.{entity}{changed}
),

option_labels as (
    select
        {option_list}
    from pipedrive_staging.field_options
    where field_entity = {literal(field_entity)}
)

select
    {select_list}
from records
cross join option_labels
"""


def active_view_sql(entity: str) -> str:
    """`pipedrive.<entity>`: what analysts use by default (same-schema reference left unqualified)."""
    return f"""-- one row per {entity} record that is not deleted; generated by transforms/custom_fields.py
create or replace view pipedrive.{entity} as
select * from {entity}_all
where not is_deleted
"""
