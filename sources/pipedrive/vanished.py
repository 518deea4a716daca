"""Records that vanish upstream are flagged `is_deleted` by dlt, like every other change.

Ids vanish when Pipedrive hard-deletes a record (a purge 30 days after a soft delete, a merge of
two persons or organizations) and, on accounts whose lists leave soft-deleted records out, on
every delete. Which ids exist upstream is known for lists read whole (every run) and, for the
others, from an id listing (`reconcile.py`).

The stored rows of the ids that are gone are read back from the pipeline's destination and
handed to dlt once more, flagged and stamped with a new `_extracted_at`. The entity's merge then
replaces them: the raw row keeps every column and is only flagged, and the readable layer, which
refreshes the rows extracted since its last build, sees the change. Nothing but dlt writes.
Rows are read back only when the resource has state from an earlier run (not on a first run or a
full refresh, whose tables are about to be replaced), and only inside a pipeline that has a
destination (`pipeline.extract` without one skips it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import dlt
import pyarrow as pa
from dlt.common.libs.pyarrow import get_py_arrow_datatype
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from sources.pipedrive.arrow_tables import with_extracted_at, with_keys_not_null
from sources.pipedrive.context import SyncContext
from sources.pipedrive.entities import Entity

ID_CHUNK = 5000
# Parallel resources read back one at a time: one DuckDB file, one connection at once.
_DESTINATION_READS = threading.Lock()


def flag_vanished(entity: Entity, present: set, context: SyncContext) -> Iterator[pa.Table]:
    """The stored live rows of `entity` whose key is not in `present`, flagged `is_deleted`."""
    pipeline = _pipeline_with_destination()
    if pipeline is None or not entity.primary_key:
        return
    with _DESTINATION_READS, pipeline.sql_client() as sql:
        table = sql.make_qualified_table_name(entity.name)
        key = sql.escape_column_name(entity.primary_key)
        try:
            live = sql.execute_sql(f"SELECT {key} FROM {table} WHERE NOT coalesce(is_deleted, false)")
        except DatabaseUndefinedRelation:
            return  # nothing loaded yet
        gone = sorted({row[0] for row in live} - present, key=str)
        names, records = [], []
        for start in range(0, len(gone), ID_CHUNK):
            chunk = gone[start : start + ID_CHUNK]
            marks = ",".join("%s" for _ in chunk)
            with sql.execute_query(f"SELECT * FROM {table} WHERE {key} IN ({marks})", *chunk) as cursor:
                names = [column[0] for column in cursor.description]
                records += cursor.fetchall()
    if not records:
        return
    stored = _as_arrow(names, records, pipeline, entity.name)
    flagged = _flagged(stored, entity, context)
    context.report.add_vanished(entity.name, flagged.num_rows)
    context.progress(f"{entity.name}: {flagged.num_rows} gone upstream, flagged is_deleted")
    yield flagged


def _as_arrow(names: list[str], records: list[tuple], pipeline, table: str) -> pa.Table:
    """Stored rows as Arrow, each column typed as dlt loaded it (its schema), so the merge gets
    them back exactly as they were."""
    # a plain lookup: the extract step updates the schema from other threads meanwhile
    known = (pipeline.default_schema.tables.get(table) or {}).get("columns") or {}
    caps = pipeline.destination.capabilities()
    arrays, fields = [], []
    for index, name in enumerate(names):
        values = [record[index] for record in records]
        column = known.get(name)
        arrow_type = (
            get_py_arrow_datatype(column, caps, "UTC") if column and column.get("data_type") else None
        )
        array = pa.array(values, arrow_type)
        arrays.append(array)
        fields.append(pa.field(name, array.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _flagged(rows: pa.Table, entity: Entity, context: SyncContext) -> pa.Table:
    """The rows as stored, without dlt's own columns, `is_deleted` true and a new `_extracted_at`."""
    rows = rows.select([name for name in rows.column_names if not name.startswith("_dlt_")])
    flag = pa.array([True] * rows.num_rows, pa.bool_())
    if "is_deleted" in rows.column_names:
        rows = rows.set_column(rows.column_names.index("is_deleted"), "is_deleted", flag)
    else:
        rows = rows.append_column("is_deleted", flag)
    rows = with_extracted_at(rows, context.extracted_at())
    return with_keys_not_null(rows, (entity.primary_key,))


def _pipeline_with_destination():
    try:
        pipeline = dlt.current.pipeline()
    except Exception:  # no active pipeline: the source is iterated on its own
        return None
    return pipeline if pipeline.destination is not None else None
