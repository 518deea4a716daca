"""Build schemas `pipedrive_staging` and `pipedrive` from `pipedrive_raw`, in one transaction.

Runs the plain SQL files (staging, entities, marts) and the generated custom-field entity tables in
the order their references ask for (`models.py`), then checks the models' declared keys. Safe to run
after every sync: everything is `create or replace`, and a failure rolls back so readers keep the
previous views.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from shared.crash_points import crash_point
from shared.warehouse import RAW_SCHEMA, READABLE_SCHEMA, SCHEMAS, STAGING_SCHEMA
from transforms import DEFAULT_COLUMN_NAMES_FILE, custom_fields, naming, raw_relations
from transforms.custom_fields import quote
from transforms.models import CUSTOM_FIELD_STEP, Model, load_models, run_order
from transforms.tables import ENTITY_FIELDS, RAW_TABLES

# In a file named pipedrive.duckdb the catalog is also called `pipedrive`, which makes
# `pipedrive.deals` ambiguous. Created objects are therefore qualified with the catalog at run
# time, and view bodies refer to objects of their own schema unqualified.
NEW_TABLE = re.compile(rf"^create or replace table ({STAGING_SCHEMA}|{READABLE_SCHEMA})\.(\w+)", re.M)
CREATE_TARGET = re.compile(
    rf"^(create or replace (?:view|table|macro) )({STAGING_SCHEMA}|{READABLE_SCHEMA})\.", re.M
)


class ModelCheckError(ValueError):
    """A model's declared key is not unique or has nulls: the run rolled back."""


@dataclass
class TransformResult:
    views: list[str] = field(default_factory=list)
    custom_columns: dict[str, int] = field(default_factory=dict)  # entity -> readable custom-field columns
    entity_tables: dict[str, str] = field(default_factory=dict)  # entity -> "rebuilt" | "refreshed"
    missing_raw_tables: list[str] = field(default_factory=list)
    duration_s: float = 0.0


def run_transforms(
    con_or_path: duckdb.DuckDBPyConnection | str | Path,
    column_names_path: str | Path | None = DEFAULT_COLUMN_NAMES_FILE,
) -> TransformResult:
    """Build or rebuild every staging view, readable entity view and mart.

    column_names_path: the optional pinning file (field key -> column name); absent file = no pins.
    Raises ModelCheckError when a model's key turns out not unique or null (nothing is changed).
    """
    if isinstance(con_or_path, duckdb.DuckDBPyConnection):
        return _run(con_or_path, column_names_path)
    with duckdb.connect(str(con_or_path)) as con:
        return _run(con, column_names_path)


def _run(con: duckdb.DuckDBPyConnection, column_names_path: str | Path | None) -> TransformResult:
    started = time.perf_counter()
    result = TransformResult()
    pinned = naming.load_pinned_columns(column_names_path)
    models = load_models()
    con.execute("begin transaction")
    try:
        for schema in SCHEMAS:
            con.execute(f"create schema if not exists {in_catalog(con, schema)}")
        raw_tables = existing_tables(con, RAW_SCHEMA)
        result.missing_raw_tables = sorted({table.name for table in RAW_TABLES} - raw_tables)
        execute_model(con, raw_relations.raw_fields_sql(raw_tables))
        entity_views = [model.name for model in models if model.layer == "entities"]
        execute_model(con, raw_relations.readable_entities_sql(entity_views))
        for step in run_order(models):
            if step == CUSTOM_FIELD_STEP:
                build_custom_field_views(con, pinned, result, staging_fingerprint(models))
            else:
                crash_point("transform")
                execute_model(con, raw_relations.with_declared_columns(step.sql, raw_tables))
        for model in models:
            check_key(con, model)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    result.views = sorted(existing_tables(con, READABLE_SCHEMA))
    result.duration_s = time.perf_counter() - started
    return result


def staging_fingerprint(models: list[Model]) -> str:
    """What the staging views are made of: their SQL and the raw columns they declare."""
    staging = "".join(model.sql for model in models if model.layer == "staging")
    return staging + repr(RAW_TABLES)


def check_key(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """A model's `-- key:` columns: never null, and no two rows share them."""
    if not model.key:
        return
    relation = f"{in_catalog(con, model.schema)}.{model.name}"
    columns = ", ".join(quote(column) for column in model.key)
    shown = f"{model.target} (key {', '.join(model.key)})"
    nulls = con.execute(
        f"select count(*) from {relation} where " + " or ".join(f"{quote(c)} is null" for c in model.key)
    ).fetchone()[0]
    if nulls:
        raise ModelCheckError(f"{shown}: {nulls} rows have a null key; the previous views were kept")
    repeated = con.execute(
        f"select count(*) over (), {columns}, rows from"
        f" (select {columns}, count(*) as rows from {relation} group by all having count(*) > 1) limit 1"
    ).fetchone()
    if repeated:
        keys, *example, rows = repeated
        example_text = ", ".join(
            f"{column} = {value}" for column, value in zip(model.key, example, strict=True)
        )
        raise ModelCheckError(
            f"{shown}: {keys} keys appear in more than one row (e.g. {example_text}, {rows} rows);"
            " the previous views were kept"
        )


def execute_model(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run a model's SQL with its `create or replace` target qualified by the catalog."""
    for schema, table in NEW_TABLE.findall(sql):
        drop_view_if_exists(con, schema, table)  # `create or replace table` cannot replace a view
    con.execute(CREATE_TARGET.sub(lambda match: f"{match.group(1)}{in_catalog(con, match.group(2))}.", sql))


def in_catalog(con: duckdb.DuckDBPyConnection, schema: str) -> str:
    catalog = con.execute("select current_database()").fetchone()[0]
    return '"' + catalog.replace('"', '""') + '".' + schema


def existing_tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables"
        " where table_schema = ? and table_catalog = current_database()",
        [schema],
    ).fetchall()
    return {row[0] for row in rows}


def table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns"
        " where table_schema = ? and table_name = ? and table_catalog = current_database()"
        " order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [row[0] for row in rows]


def build_custom_field_views(
    con: duckdb.DuckDBPyConnection, pinned: dict[str, dict[str, str]], result: TransformResult, staging: str
) -> None:
    """Name every custom field, remember the names, and (re)create the generated entity views."""
    definitions: dict[str, list[custom_fields.FieldDefinition]] = {}
    for field_entity, key, name, field_type in con.execute(
        "select field_entity, field_key, field_name, field_type from pipedrive_staging.field_definitions"
        " where is_custom_field order by field_entity, field_key"
    ).fetchall():
        definition = custom_fields.FieldDefinition(key, name or "", field_type)
        definitions.setdefault(field_entity, []).append(definition)

    previous = previous_assignments(con)
    column_rows = []
    assignments: dict[str, dict[str, naming.Assignment]] = {}
    for field_entity in sorted(set(ENTITY_FIELDS.values())):
        fields = definitions.get(field_entity, [])
        builtin = {
            column
            for entity, uses in ENTITY_FIELDS.items()
            if uses == field_entity
            for column in table_columns(con, STAGING_SCHEMA, entity)
        }
        assignments[field_entity] = naming.assign_columns(
            [field.as_custom_field() for field in fields],
            builtin_columns=builtin,
            previous=previous.get(field_entity),
            pinned=pinned.get(field_entity),
        )
        for definition in fields:
            chosen = assignments[field_entity][definition.key]
            described = (field_entity, definition.key, definition.name, definition.field_type, chosen.column)
            for _, column in custom_fields.value_columns(definition, chosen.column):
                column_rows.append((*described, column, chosen.how))

    con.execute(
        "create or replace table pipedrive_staging.custom_field_columns (field_entity varchar,"
        " field_key varchar, field_name varchar, field_type varchar, field_column varchar,"
        " column_name varchar, naming varchar)"
    )
    if column_rows:
        con.executemany(
            "insert into pipedrive_staging.custom_field_columns values (?, ?, ?, ?, ?, ?, ?)", column_rows
        )

    con.execute(
        "create table if not exists pipedrive_staging.entity_table_builds"
        " (entity varchar primary key, fingerprint varchar, extracted_until timestamptz)"
    )
    builtin_options = builtin_option_fields(con)
    for entity, field_entity in ENTITY_FIELDS.items():
        fields = definitions.get(field_entity, [])
        relabelled = [
            field
            for field in builtin_options.get(field_entity, ())
            if entity != "leads" and field.key in table_columns(con, STAGING_SCHEMA, entity)
        ]  # leads carry their own lead labels, not the deal fields' options
        result.entity_tables[entity] = build_entity_table(
            con, entity, fields, assignments[field_entity], staging, relabelled
        )
        execute_model(con, custom_fields.active_view_sql(entity))
        result.custom_columns[entity] = sum(len(custom_fields.value_columns(f, "_")) for f in fields)


def builtin_option_fields(con: duckdb.DuckDBPyConnection) -> dict[str, list[custom_fields.FieldDefinition]]:
    """Built-in fields whose definitions carry options (field entity -> fields)."""
    found: dict[str, list[custom_fields.FieldDefinition]] = {}
    for field_entity, key, name, field_type in con.execute(
        "select distinct definitions.field_entity, definitions.field_key, definitions.field_name,"
        " definitions.field_type from pipedrive_staging.field_definitions as definitions"
        " inner join pipedrive_staging.field_options as options"
        " on options.field_entity = definitions.field_entity and options.field_key = definitions.field_key"
        " where not definitions.is_custom_field order by all"
    ).fetchall():
        found.setdefault(field_entity, []).append(custom_fields.FieldDefinition(key, name or "", field_type))
    return found


def build_entity_table(
    con: duckdb.DuckDBPyConnection,
    entity: str,
    fields: list[custom_fields.FieldDefinition],
    columns: dict[str, naming.Assignment],
    staging: str,
    builtin_options: list[custom_fields.FieldDefinition] = (),
) -> str:
    """Create `pipedrive.<entity>_all`, or refresh only the rows the sync wrote since the last build.

    Refreshing is safe only when nothing else changed: the fingerprint covers the generated SQL
    (fields and names), the staging SQL and the option labels. Anything unexpected (rows
    without `_extracted_at`, a row count that no longer matches): rebuild it whole.
    """
    table = f"{in_catalog(con, READABLE_SCHEMA)}.{entity}_all"
    full_select = custom_fields.entity_select_sql(entity, fields, columns, builtin_options=builtin_options)
    fingerprint = build_fingerprint(con, full_select, ENTITY_FIELDS[entity], staging)
    newest = con.execute(f"select max(_extracted_at) from {STAGING_SCHEMA}.{entity}").fetchone()[0]
    last = con.execute(
        "select fingerprint, extracted_until from pipedrive_staging.entity_table_builds where entity = ?",
        [entity],
    ).fetchone()
    how = "rebuilt"
    if (
        last
        and last[0] == fingerprint
        and last[1] is not None
        and is_table(con, READABLE_SCHEMA, f"{entity}_all")
    ):
        changed = {"extracted_after": last[1]}
        con.execute(
            f"delete from {table} where id in"
            f" (select id from {STAGING_SCHEMA}.{entity} where _extracted_at > $extracted_after)",
            changed,
        )
        changed_select = custom_fields.entity_select_sql(
            entity, fields, columns, only_changed=True, builtin_options=builtin_options
        )
        con.execute(f"insert into {table} by name {changed_select}", changed)
        counts = con.execute(
            f"select (select count(*) from {table}), (select count(*) from {STAGING_SCHEMA}.{entity})"
        ).fetchone()
        how = "refreshed" if counts[0] == counts[1] else "rebuilt"
    if how == "rebuilt":
        drop_view_if_exists(con, READABLE_SCHEMA, f"{entity}_all")  # earlier versions made it a view
        con.execute(f"create or replace table {table} as {full_select}")
    con.execute(
        "insert or replace into pipedrive_staging.entity_table_builds values (?, ?, ?)",
        [entity, fingerprint, newest],
    )
    return how


def build_fingerprint(
    con: duckdb.DuckDBPyConnection, select_sql: str, field_entity: str, staging: str
) -> str:
    """What the table's content depends on besides the rows: generated SQL, staging SQL, option labels."""
    options = con.execute(
        "select string_agg(concat_ws(':', field_key, option_id, option_label), ','"
        " order by field_key, option_id) from pipedrive_staging.field_options where field_entity = ?",
        [field_entity],
    ).fetchone()[0]
    return hashlib.sha256("\0".join([select_sql, staging, options or ""]).encode()).hexdigest()


def is_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(
        con.execute(
            "select 1 from duckdb_tables()"
            " where schema_name = ? and table_name = ? and database_name = current_database()",
            [schema, name],
        ).fetchone()
    )


def drop_view_if_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """`drop view if exists` fails when a table has that name, so look first."""
    found = con.execute(
        "select 1 from duckdb_views()"
        " where schema_name = ? and view_name = ? and database_name = current_database()",
        [schema, name],
    ).fetchone()
    if found:
        con.execute(f"drop view {in_catalog(con, schema)}.{name}")


def previous_assignments(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, tuple[str, str]]]:
    """field entity -> field key -> (field name, column) as chosen by the previous run."""
    if "custom_field_columns" not in existing_tables(con, STAGING_SCHEMA):
        return {}
    previous: dict[str, dict[str, tuple[str, str]]] = {}
    for field_entity, key, name, column in con.execute(
        "select distinct field_entity, field_key, field_name, field_column"
        " from pipedrive_staging.custom_field_columns"
    ).fetchall():
        previous.setdefault(field_entity, {})[key] = (name, column)
    return previous
