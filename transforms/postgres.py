"""The transforms for a Postgres destination: one SQL dialect, computed by DuckDB, published to Postgres.

The models are DuckDB SQL (macros, `union all by name`, `group by all`, lists, `try_cast`); most
have no Postgres spelling, so transpiling them would mean a second set of models to keep equal.
Instead the raw tables are copied from Postgres into an in-memory DuckDB with COPY, the very same
`run_transforms` builds the views there, and every view of schema `pipedrive` is written back to
Postgres as a table, all in one transaction: readers see the previous tables until the commit.
The column-name bookkeeping table travels both ways, so custom-field column names stay as stable
as they are in DuckDB. Values that depend on "now" (age, overdue) are as of the last run.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import duckdb
import psycopg2
import psycopg2.errors
from psycopg2 import sql

from shared.warehouse import RAW_SCHEMA, READABLE_SCHEMA, STAGING_SCHEMA
from transforms.runner import DEFAULT_COLUMN_NAMES_FILE, TransformResult, existing_tables, run_transforms


class PublishError(RuntimeError):
    """The results could not replace the tables in Postgres; the previous tables are untouched."""


COLUMN_NAMES_TABLE = "custom_field_columns"
PUBLISH_LOCK_TIMEOUT = "60s"
# information_schema data_type in Postgres -> DuckDB type used to read its COPY output
POSTGRES_TO_DUCKDB = {
    "bigint": "BIGINT",
    "integer": "INTEGER",
    "smallint": "SMALLINT",
    "double precision": "DOUBLE",
    "real": "FLOAT",
    "numeric": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "time without time zone": "TIME",
    "timestamp without time zone": "TIMESTAMP",
    "timestamp with time zone": "TIMESTAMPTZ",
    "uuid": "UUID",
}
# DuckDB type -> Postgres column type; anything nested (lists, structs, maps) is published as jsonb
DUCKDB_TO_POSTGRES = {
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "TINYINT": "smallint",
    "UBIGINT": "numeric",
    "UINTEGER": "bigint",
    "HUGEINT": "numeric",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "BOOLEAN": "boolean",
    "VARCHAR": "text",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "INTERVAL": "interval",
    "UUID": "uuid",
    "JSON": "jsonb",
}
NESTED_TYPE = re.compile(r"(\[\]|\[\d+\])$|^(STRUCT|MAP|UNION)\(")


def run_transforms_in_postgres(
    dsn: str, column_names_path: str | Path | None = DEFAULT_COLUMN_NAMES_FILE
) -> TransformResult:
    """Build schema `pipedrive` in the Postgres database at dsn (a libpq URL or key=value string)."""
    connection = psycopg2.connect(dsn)
    try:
        with tempfile.TemporaryDirectory(prefix="pipedrive-transforms-") as workdir, duckdb.connect() as con:
            con.execute("set TimeZone = 'UTC'")
            copy_into_duckdb(connection, con, Path(workdir))
            result = run_transforms(con, column_names_path)
            publish_to_postgres(con, connection, Path(workdir))
    finally:
        connection.close()
    return result


def copy_into_duckdb(connection, con: duckdb.DuckDBPyConnection, workdir: Path) -> None:
    """Every raw table, and the previous run's column names, as typed DuckDB tables."""
    for schema in (RAW_SCHEMA, STAGING_SCHEMA):
        con.execute(f"create schema if not exists {schema}")
    tables = postgres_columns(connection, RAW_SCHEMA)
    previous_names = postgres_columns(connection, STAGING_SCHEMA).get((STAGING_SCHEMA, COLUMN_NAMES_TABLE))
    if previous_names:
        tables[(STAGING_SCHEMA, COLUMN_NAMES_TABLE)] = previous_names
    for (schema, table), columns in tables.items():
        csv_path = workdir / f"{schema}.{table}.csv"
        with connection.cursor() as cursor, open(csv_path, "w", encoding="utf-8", newline="") as file:
            query = sql.SQL("copy (select {} from {}.{}) to stdout with (format csv)").format(
                sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns),
                sql.Identifier(schema),
                sql.Identifier(table),
            )
            cursor.copy_expert(query.as_string(connection), file)
        types = {name: POSTGRES_TO_DUCKDB.get(data_type, "VARCHAR") for name, data_type in columns}
        con.execute(
            f'create table {schema}."{table}" as select * from read_csv(?, header = false, columns = ?,'
            " allow_quoted_nulls = false, auto_detect = false, quote = '\"', escape = '\"')",
            [str(csv_path), types],
        )


def postgres_columns(connection, schema: str) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(schema, table) -> [(column, data_type)] for the tables of one schema; dlt's own tables left out."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select c.table_name, c.column_name, c.data_type from information_schema.columns c"
            " join information_schema.tables t using (table_schema, table_name)"
            " where c.table_schema = %s and t.table_type = 'BASE TABLE' and c.table_name not like '\\_dlt%%'"
            " order by c.table_name, c.ordinal_position",
            [schema],
        )
        columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for table, column, data_type in cursor.fetchall():
            columns.setdefault((schema, table), []).append((column, data_type))
    return columns


def publish_to_postgres(con: duckdb.DuckDBPyConnection, connection, workdir: Path) -> None:
    """Replace schema `pipedrive`'s tables and the column-name table in Postgres, in one transaction.

    Tables are dropped without CASCADE: a view of yours on top of them makes the publish fail
    (and roll back) instead of silently dropping your view.
    """
    relations = [(READABLE_SCHEMA, name) for name in sorted(existing_tables(con, READABLE_SCHEMA))]
    relations.append((STAGING_SCHEMA, COLUMN_NAMES_TABLE))
    try:
        with connection:  # commit on success, roll back on any error
            with connection.cursor() as cursor:
                # a reader holding a long transaction on these tables makes the publish fail, not hang
                cursor.execute("set local lock_timeout = %s", [PUBLISH_LOCK_TIMEOUT])
                for schema in (READABLE_SCHEMA, STAGING_SCHEMA):
                    cursor.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
                for schema, name in relations:
                    publish_relation(con, cursor, workdir, schema, name)
    except psycopg2.errors.DependentObjectsStillExist as error:
        raise PublishError(
            f"Could not replace the tables in schema {READABLE_SCHEMA}: {error.pgerror.strip()} "
            "Objects of yours depend on them; build them from pipedrive_raw or drop them. "
            "The previous tables are unchanged."
        ) from None
    except psycopg2.errors.LockNotAvailable:
        raise PublishError(
            f"Could not replace the tables in schema {READABLE_SCHEMA}: another session held them for "
            f"{PUBLISH_LOCK_TIMEOUT}. The previous tables are unchanged; the next run tries again."
        ) from None


def publish_relation(con: duckdb.DuckDBPyConnection, cursor, workdir: Path, schema: str, name: str) -> None:
    columns = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = ? and table_name = ? and table_catalog = current_database()"
        " order by ordinal_position",
        [schema, name],
    ).fetchall()
    selected, definitions = [], []
    for column, duckdb_type in columns:
        quoted = '"' + column.replace('"', '""') + '"'
        postgres_type = postgres_type_for(duckdb_type)
        selected.append(f"to_json({quoted})::varchar" if postgres_type == "jsonb" else quoted)
        definitions.append(sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(postgres_type)))
    csv_path = workdir / f"publish.{schema}.{name}.csv"
    con.execute(
        f"copy (select {', '.join(selected)} from {schema}.\"{name}\") to '{csv_path}'"
        " (format csv, header false, null '')"
    )
    table = sql.Identifier(schema, name)
    cursor.execute(sql.SQL("drop table if exists {}").format(table))
    cursor.execute(sql.SQL("create table {} ({})").format(table, sql.SQL(", ").join(definitions)))
    with open(csv_path, encoding="utf-8") as file:
        cursor.copy_expert(
            sql.SQL("copy {} from stdin with (format csv)").format(table).as_string(cursor.connection), file
        )


def postgres_type_for(duckdb_type: str) -> str:
    if NESTED_TYPE.search(duckdb_type):
        return "jsonb"
    if duckdb_type.startswith("DECIMAL"):
        return duckdb_type.replace("DECIMAL", "numeric")
    return DUCKDB_TO_POSTGRES.get(duckdb_type, "text")
