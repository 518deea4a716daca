"""v2 field definitions -> v1 field objects (`/v1/dealFields`, ...).

v1 field objects carry `key`, `name`, `field_type`, `options`, `edit_flag` (true for custom
fields), `active_flag` and a numeric `id`. The v1 spec only admits the classic field types,
so the internal v2-only types are reported as their nearest classic type.
"""

from __future__ import annotations

import zlib
from typing import Any

from simulator.v1.convert import v1_time

#: v2 field types the v1 spec does not list, and the classic type v1 reports instead.
V1_FIELD_TYPE = {
    "int": "double",
    "boolean": "enum",
    "status": "enum",
    "stage": "enum",
    "varchar_options": "enum",
    "billing_frequency": "enum",
    "price_list": "double",
    "deal": "double",
    "deals": "double",
    "lead": "varchar",
    "activity": "double",
    "project": "double",
    "projects_board": "double",
    "projects_phase": "double",
    "json": "text",
    "picture": "varchar",
}

#: Narrower per-entity lists: the v1 productFields spec has no `visible_to` type.
V1_FIELD_TYPE_OVERRIDES = {"product_fields": {"visible_to": "enum"}}

#: Which URL names each field entity answers to.
V1_FIELD_PATHS = {
    "dealFields": "deal_fields",
    "personFields": "person_fields",
    "organizationFields": "organization_fields",
    "productFields": "product_fields",
    "activityFields": "activity_fields",
}


def v1_field_id(field_code: str) -> int:
    """A stable numeric id per field key (v2 has none): survives renames and reordering."""
    return zlib.crc32(field_code.encode()) & 0x7FFFFFFF


def field_to_v1(field: dict, order_nr: int, field_entity: str | None = None) -> dict[str, Any]:
    is_custom = bool(field.get("is_custom_field"))
    options = field.get("options")
    ui = field.get("ui_visibility") or {}
    field_type = V1_FIELD_TYPE.get(field["field_type"], field["field_type"])
    field_type = V1_FIELD_TYPE_OVERRIDES.get(field_entity or "", {}).get(field_type, field_type)
    v1_field = {
        "id": field.get("id", v1_field_id(field["field_code"])),
        "key": field["field_code"],
        "name": field["field_name"],
        "order_nr": order_nr,
        "field_type": field_type,
        "add_time": v1_time(field.get("add_time")),
        "update_time": v1_time(field.get("update_time")),
        "last_updated_by_user_id": None,
        "created_by_user_id": None,
        "active_flag": True,
        "edit_flag": is_custom,
        "index_visible_flag": True,
        "details_visible_flag": bool(ui.get("details_visible_flag", True)),
        "add_visible_flag": bool(ui.get("add_visible_flag", not is_custom)),
        "important_flag": bool((field.get("important_fields") or {}).get("enabled", False)),
        "bulk_edit_allowed": True,
        "searchable_flag": False,
        "filtering_allowed": True,
        "sortable_flag": True,
        "mandatory_flag": bool((field.get("required_fields") or {}).get("enabled", False)),
    }
    if options:  # Pipedrive leaves the key out of fields without options (clients choke on null)
        v1_field["options"] = [{"id": item["id"], "label": item["label"]} for item in options]
    return v1_field


#: Built-in lead fields (leads have no field entity of their own): (key, name, v2 type).
LEAD_BUILTINS = (
    ("title", "Title", "varchar"),
    ("owner_id", "Owner", "user"),
    ("person_id", "Person", "people"),
    ("organization_id", "Organization", "org"),
    ("value", "Value", "monetary"),
    ("expected_close_date", "Expected close date", "date"),
    ("label_ids", "Labels", "set"),
    ("source_name", "Source", "varchar"),
    ("visible_to", "Visible to", "visible_to"),
    ("add_time", "Lead created", "date"),
    ("update_time", "Update time", "date"),
)


def lead_fields(deal_fields: list[dict]) -> list[dict]:
    """`/v1/leadFields`: the lead built-ins, then the deal custom fields leads inherit."""
    builtins = [
        {
            "field_code": code,
            "field_name": name,
            "field_type": kind,
            "is_custom_field": False,
            "options": None,
        }
        for code, name, kind in LEAD_BUILTINS
    ]
    return builtins + [field for field in deal_fields if field.get("is_custom_field")]


def fields_to_v1(fields: list[dict], field_entity: str | None = None) -> list[dict[str, Any]]:
    return [field_to_v1(field, order_nr, field_entity) for order_nr, field in enumerate(fields, start=1)]
