"""Readable values computed in plain Python from the field definitions, independently of the SQL."""

from __future__ import annotations

from datetime import date, time

import duckdb

ADDRESS_PARTS = (
    "street_number", "route", "subpremise", "sublocality", "locality", "admin_area_level_1",
    "admin_area_level_2", "country", "postal_code",
)  # fmt: skip


def readable_values(field: dict, column: str, value) -> dict:
    """column -> expected value for one custom field's v2 value."""
    kind = field["field_type"]
    labels = {option["id"]: option["label"] for option in field.get("options") or ()}
    if kind == "monetary":
        value = value or {}
        return {column: value.get("value"), f"{column}_currency": value.get("currency")}
    if kind == "daterange":
        value = value or {}
        return {f"{column}_start": as_date(value.get("value")), f"{column}_end": as_date(value.get("until"))}
    if kind in ("time", "timerange"):
        value = value or {}
        start, end = as_time(value.get("value")), as_time(value.get("until"))
        times = {column: start} if kind == "time" else {f"{column}_start": start, f"{column}_end": end}
        timezone_id, timezone_name = value.get("timezone_id"), value.get("timezone_name")
        return times | {f"{column}_timezone_id": timezone_id, f"{column}_timezone": timezone_name}
    if kind == "address":
        value = value or {}
        parts = {f"{column}_{part}": value.get(part) for part in ADDRESS_PARTS}
        return {column: value.get("formatted_address") or value.get("value"), **parts}
    if value is None:
        return {column: None}
    if kind == "enum":
        return {column: labels.get(value, str(value))}
    if kind == "set":
        return {column: [labels.get(item, str(item)) for item in value]}
    if kind == "double":
        return {column: float(value)}
    if kind == "date":
        return {column: as_date(value)}
    return {column: value}


def as_date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def as_time(text: str | None) -> time | None:
    return time.fromisoformat(text) if text else None


def rows_by_id(con: duckdb.DuckDBPyConnection, relation: str) -> dict:
    cursor = con.execute(f"select * from {relation}")
    names = [column[0] for column in cursor.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
