"""Build schemas `pipedrive_staging` and `pipedrive` from `pipedrive_raw`, in one transaction.

Runs the plain SQL files (staging, entities, marts) in order and, between them, the generated
custom-field entity views. Safe to run after every sync: everything is `create or replace`, and a
failure rolls back so readers keep the previous views.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb

from shared.crash_points import crash_point
from shared.warehouse import RAW_SCHEMA, READABLE_SCHEMA, STAGING_SCHEMA
from transforms import DEFAULT_COLUMN_NAMES_FILE, custom_fields, naming

# dependency order; each name is a file <layer>/<name>.sql
STAGING_MODELS = (
    "_macros", "deals", "persons", "organizations", "activities", "products", "pipelines", "stages",
    "users", "leads", "notes", "activity_types", "currencies", "lead_labels", "deal_products",
    "deal_snapshots", "field_definitions", "field_options", "sync_runs",
)  # fmt: skip
ENTITY_MODELS = (
    "users", "pipelines", "stages", "notes", "deal_products", "activity_types", "currencies", "lead_labels",
    "sync_runs",
)  # fmt: skip
MART_MODELS = (
    "field_dictionary", "deals_enriched", "pipeline_funnel", "activities_enriched", "revenue_by_month",
    "deal_stage_history",
)  # fmt: skip

EMPTY_RAW_TABLE = "(select null::varchar as _source_api where false)"
RAW_REFERENCE = re.compile(rf"\b{RAW_SCHEMA}\.(\w+)\b")
# In a file named pipedrive.duckdb the catalog is also called `pipedrive`, which makes
# `pipedrive.deals` ambiguous. Created objects are therefore qualified with the catalog at run
# time, and view bodies refer to objects of their own schema unqualified.
NEW_TABLE = re.compile(rf"^create or replace table ({STAGING_SCHEMA}|{READABLE_SCHEMA})\.(\w+)", re.M)
CREATE_TARGET = re.compile(
    rf"^(create or replace (?:view|table|macro) )({STAGING_SCHEMA}|{READABLE_SCHEMA})\.", re.M
)


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
    """
    if isinstance(con_or_path, duckdb.DuckDBPyConnection):
        return _run(con_or_path, column_names_path)
    with duckdb.connect(str(con_or_path)) as con:
        return _run(con, column_names_path)


def _run(con: duckdb.DuckDBPyConnection, column_names_path: str | Path | None) -> TransformResult:
    started = time.perf_counter()
    result = TransformResult()
    pinned = naming.load_pinned_columns(column_names_path)
    con.execute("begin transaction")
    try:
        for schema in (RAW_SCHEMA, STAGING_SCHEMA, READABLE_SCHEMA):
            con.execute(f"create schema if not exists {in_catalog(con, schema)}")
        raw_tables = existing_tables(con, RAW_SCHEMA)
        result.missing_raw_tables = sorted(set(referenced_raw_tables()) - raw_tables)
        for name in STAGING_MODELS:
            run_model(con, "staging", name, raw_tables)
        build_custom_field_views(con, pinned, result)
        for layer, names in (("entities", ENTITY_MODELS), ("marts", MART_MODELS)):
            for name in names:
                run_model(con, layer, name, raw_tables)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    result.views = sorted(existing_tables(con, READABLE_SCHEMA))
    result.duration_s = time.perf_counter() - started
    return result


def model_sql(layer: str, name: str) -> str:
    return resources.files("transforms").joinpath(layer, f"{name}.sql").read_text(encoding="utf-8")


def referenced_raw_tables() -> set[str]:
    return {table for name in STAGING_MODELS for table in RAW_REFERENCE.findall(model_sql("staging", name))}


def run_model(con: duckdb.DuckDBPyConnection, layer: str, name: str, raw_tables: set[str]) -> None:
    """Run one SQL file; a raw table the account does not have reads as an empty table."""

    def raw_or_empty(match: re.Match) -> str:
        return match.group(0) if match.group(1) in raw_tables else EMPTY_RAW_TABLE

    crash_point("transform")
    execute_model(con, RAW_REFERENCE.sub(raw_or_empty, model_sql(layer, name)))


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
    con: duckdb.DuckDBPyConnection, pinned: dict[str, dict[str, str]], result: TransformResult
) -> None:
    """Name every custom field, remember the names, and (re)create the generated entity views."""
    definitions: dict[str, list[custom_fields.FieldDefinition]] = {}
    for field_entity, key, name, field_type in con.execute(
        "select field_entity, field_code, field_name, field_type from pipedrive_staging.field_definitions"
        " where is_custom_field order by field_entity, field_code"
    ).fetchall():
        definition = custom_fields.FieldDefinition(key, name or "", field_type)
        definitions.setdefault(field_entity, []).append(definition)

    previous = previous_assignments(con)
    column_rows = []
    assignments: dict[str, dict[str, naming.Assignment]] = {}
    for field_entity in sorted(set(custom_fields.ENTITY_FIELDS.values())):
        fields = definitions.get(field_entity, [])
        builtin = {
            column
            for entity, uses in custom_fields.ENTITY_FIELDS.items()
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
    for entity, field_entity in custom_fields.ENTITY_FIELDS.items():
        fields = definitions.get(field_entity, [])
        result.entity_tables[entity] = build_entity_table(con, entity, fields, assignments[field_entity])
        execute_model(con, custom_fields.active_view_sql(entity))
        result.custom_columns[entity] = sum(len(custom_fields.value_columns(f, "_")) for f in fields)


def build_entity_table(
    con: duckdb.DuckDBPyConnection,
    entity: str,
    fields: list[custom_fields.FieldDefinition],
    columns: dict[str, naming.Assignment],
) -> str:
    """Create `pipedrive.<entity>_all`, or refresh only the rows the sync wrote since the last build.

    Refreshing is safe only when nothing else changed: the fingerprint covers the generated SQL
    (fields and names), the staging SQL and the option labels. Anything unexpected (rows
    without `_extracted_at`, a row count that no longer matches): rebuild it whole.
    """
    table = f"{in_catalog(con, READABLE_SCHEMA)}.{entity}_all"
    full_select = custom_fields.entity_select_sql(entity, fields, columns)
    fingerprint = build_fingerprint(con, full_select, custom_fields.ENTITY_FIELDS[entity])
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
        changed_select = custom_fields.entity_select_sql(entity, fields, columns, only_changed=True)
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


def build_fingerprint(con: duckdb.DuckDBPyConnection, select_sql: str, field_entity: str) -> str:
    """What the table's content depends on besides the rows: generated SQL, staging SQL, option labels."""
    options = con.execute(
        "select string_agg(concat_ws(':', field_code, option_id, option_label), ','"
        " order by field_code, option_id) from pipedrive_staging.field_options where field_entity = ?",
        [field_entity],
    ).fetchone()[0]
    staging = "".join(model_sql("staging", name) for name in STAGING_MODELS)
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
