"""Turn parsed API records into Arrow tables with a stable schema (dlt's fast path: no per-row
normalizer, parquet straight into DuckDB).

Column types come from, in order: the entity's declared float columns, the types learned in earlier
batches and runs (kept in dlt state), then the first non-null value. Nested values (objects,
arrays) and every custom field are stored as JSON text, so new fields never change the schema.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import orjson
import pyarrow as pa

log = logging.getLogger(__name__)

CUSTOM_FIELD_KEY = re.compile(r"^[0-9a-f]{40}(_[a-z0-9_]+)?$")
ARROW_TYPES = {"int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(), "string": pa.string()}
ARROW_TYPES["json"] = pa.string()
EXTRACTED_AT_TYPE = pa.timestamp("us", tz="UTC")
MISFIT = "__v_json"
FITS = {
    "int64": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "float64": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "bool": lambda value: isinstance(value, bool),
}
FIXED_KINDS = frozenset(FITS)


def gather_v1_custom_fields(record: dict) -> dict:
    """v1 records carry custom fields as top-level hash keys (plus suffixed sub-keys such as
    `_currency`); gather them into one flat `custom_fields` map as the raw layout asks."""
    custom = {key: record[key] for key in record if CUSTOM_FIELD_KEY.match(key)}
    if not custom and "custom_fields" in record:
        return record
    shaped = {key: value for key, value in record.items() if key not in custom}
    shaped["custom_fields"] = custom
    return shaped


class TableBuilder:
    """Builds Arrow tables for one entity; `learned_types` is a dict persisted in dlt state."""

    def __init__(
        self,
        primary_key: str | tuple[str, ...] | None,
        float_columns: Iterable[str] = (),
        json_columns: Iterable[str] = ("custom_fields",),
        learned_types: dict | None = None,
    ) -> None:
        self.keys = (primary_key,) if isinstance(primary_key, str) else tuple(primary_key or ())
        self.types: dict[str, str] = learned_types if learned_types is not None else {}
        for column in float_columns:
            self.types.setdefault(column, "float64")
        for column in json_columns:
            self.types.setdefault(column, "json")

    def build(self, records: list[dict], constants: Mapping[str, object], extracted_at: datetime) -> pa.Table:
        columns = _columns(records)
        for name in self.types:
            if name not in columns and name not in constants:
                columns[name] = [None] * len(records)
        fields, arrays = [], []
        for name, values in list(columns.items()):
            kind = self.types.get(name)
            if kind in FIXED_KINDS:
                values, misfits = _split_misfits(values, kind)
                if misfits is not None:
                    log.warning("column %s got values that are not %s; kept in %s", name, kind, name + MISFIT)
                    fields.append(pa.field(name + MISFIT, pa.string()))
                    arrays.append(_json_text(misfits))
            kind = kind or _infer_kind(values)
            if kind is None:
                continue  # only nulls and never seen typed: the column appears with its first value
            kind, array = _to_array(name, values, kind)
            self.types[name] = kind
            fields.append(pa.field(name, array.type, nullable=name not in self.keys))
            arrays.append(array)
        count = len(records)
        for name, value in constants.items():
            arrow_type = pa.bool_() if isinstance(value, bool) else pa.string()
            fields.append(pa.field(name, arrow_type))
            arrays.append(pa.array([value] * count, arrow_type))
        return with_extracted_at(pa.Table.from_arrays(arrays, schema=pa.schema(fields)), extracted_at)


def with_keys_not_null(table: pa.Table, keys: Iterable[str]) -> pa.Table:
    """Key columns marked not null, as dlt's schema has them: a mismatch makes dlt log a warning
    per table handed over."""
    keys = set(keys)
    fields = [field.with_nullable(field.nullable and field.name not in keys) for field in table.schema]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def with_extracted_at(table: pa.Table, extracted_at: datetime) -> pa.Table:
    """`table` with its `_extracted_at` column (added or replaced): when a batch was extracted."""
    column = pa.array([extracted_at] * table.num_rows, EXTRACTED_AT_TYPE)
    extracted = pa.field("_extracted_at", EXTRACTED_AT_TYPE, nullable=False)
    if "_extracted_at" in table.column_names:
        return table.set_column(table.column_names.index("_extracted_at"), extracted, column)
    return table.append_column(extracted, column)


def _split_misfits(values: Sequence, kind: str) -> tuple[Sequence, list | None]:
    """Values that do not fit a column's established type (a string where a number was, an object
    where a scalar was) leave it: the column keeps its type in the destination, and the odd values
    go, as JSON text, to a `<column>__v_json` column beside it. Nothing is dropped or coerced."""
    fits = FITS[kind]
    if all(value is None or fits(value) for value in values):
        return values, None
    kept = [value if value is None or fits(value) else None for value in values]
    misfits = [None if value is None or fits(value) else value for value in values]
    return kept, misfits


def _columns(records: list[dict]) -> dict[str, Sequence]:
    """Column-wise values. API pages repeat one key order on every record: then a C-level transpose
    does it; otherwise look every key up per record."""
    if not records:
        return {}
    keys = tuple(records[0])
    if all(tuple(record) == keys for record in records):
        return dict(zip(keys, zip(*[record.values() for record in records], strict=True), strict=True))
    names = dict.fromkeys(key for record in records for key in record)
    return {name: [record.get(name) for record in records] for name in names}


def _infer_kind(values: list) -> str | None:
    kind = None
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, (dict, list)):
            return "json"
        if isinstance(value, str):
            return "string"
        if isinstance(value, float):
            return "float64"
        if isinstance(value, int):
            kind = "int64"  # keep looking: a later float makes the column float64
    return kind


def _to_array(name: str, values: Sequence, kind: str) -> tuple[str, pa.Array]:
    try:
        if kind == "json":
            return kind, _json_text(values)
        if kind == "string":
            return kind, pa.array(values, pa.string())
        if kind == "int64":
            inferred = pa.array(values)  # typed int64 conversion would silently truncate 1.5 to 1
            if pa.types.is_floating(inferred.type):
                log.warning("column %s held integers and now a fraction; storing it as float64", name)
                return "float64", inferred
            return kind, inferred.cast(pa.int64())
        return kind, pa.array(values, ARROW_TYPES[kind])
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        if kind == "string":  # an odd non-text value among strings: keep it as JSON text
            return kind, pa.array(
                [v if v is None or isinstance(v, str) else _dumps(v) for v in values], pa.string()
            )
        log.warning("column %s has mixed value types; storing them as JSON text", name)
        return "json", _json_text(values)


def _json_text(values: Sequence) -> pa.Array:
    return pa.array([None if v is None else _dumps(v) for v in values], pa.string())


def _dumps(value) -> str:
    return orjson.dumps(value).decode()
