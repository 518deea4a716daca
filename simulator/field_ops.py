"""Changing field definitions, and what that does to records.

Adding a field adds a null value to every record; deleting a field removes its key; deleting
an option removes its id from every value. None of that moves `update_time`, as in Pipedrive:
a sync only notices by re-reading the field definitions. Records share `custom_fields` dicts
with each other (see generate.CustomValues), so changes replace the dict, never edit it.
"""

from __future__ import annotations

from simulator.clock import iso
from simulator.errors import ApiError, bad_request
from simulator.fields import CUSTOM_FIELD_TYPES, OPTION_TYPES, field_hash, make_field, option
from simulator.store import Store


def _records_with(store: Store, field_entity: str):
    """Tables whose records carry this field entity's custom fields (deal fields: deals and leads)."""
    return [table for table in store.tables.values() if table.spec.field_entity == field_entity]


def get_field(store: Store, field_entity: str, field_code: str) -> dict:
    field = store.field_registry(field_entity).get(field_code)
    if field is None:
        raise ApiError(404, "Field not found")
    return field


def add_field(
    store: Store, field_entity: str, name: str, field_type: str, options=None, description=""
) -> dict:
    if field_entity == "activity_fields":
        raise bad_request("Activity custom fields are not supported")
    if not name or len(name) > 255:
        raise bad_request("field_name must be 1 to 255 characters")
    if field_type not in CUSTOM_FIELD_TYPES:
        raise bad_request(f"field_type must be one of {', '.join(CUSTOM_FIELD_TYPES)}")
    if field_type in OPTION_TYPES and not options:
        raise bad_request("options are required for enum and set fields")
    with store.lock:
        registry = store.field_registry(field_entity)
        code = field_hash(store.seed, field_entity, 10_000 + len(registry.fields))
        while registry.get(code):
            code = field_hash(store.seed, field_entity + "+", int(code[:8], 16))
        now = iso(store.clock.now())
        opts = (
            [option(store.new_option_id(), _label(item), now) for item in options]
            if field_type in OPTION_TYPES
            else None
        )
        field = make_field(field_entity, code, name, field_type, True, opts, description or "")
        registry.add(field)
        for table in _records_with(store, field_entity):
            for record in table.rows.values():
                record["custom_fields"] = {**record["custom_fields"], code: None}
            table.invalidate_all()
        return field


def update_field(store: Store, field_entity: str, field_code: str, changes: dict) -> dict:
    with store.lock:
        field = get_field(store, field_entity, field_code)
        if "field_name" in changes:
            name = changes["field_name"]
            if not isinstance(name, str) or not name or len(name) > 255:
                raise bad_request("field_name must be 1 to 255 characters")
            field["field_name"] = name
        if "description" in changes and "description" in field:
            field["description"] = changes["description"] or ""
        if isinstance(changes.get("ui_visibility"), dict):
            field["ui_visibility"].update(changes["ui_visibility"])
        return field


def delete_field(store: Store, field_entity: str, field_code: str) -> dict:
    with store.lock:
        field = get_field(store, field_entity, field_code)
        if not field["is_custom_field"]:
            raise bad_request("Built-in fields cannot be deleted")
        store.field_registry(field_entity).remove(field_code)
        for table in _records_with(store, field_entity):
            for record in table.rows.values():
                record["custom_fields"] = {
                    code: value for code, value in record["custom_fields"].items() if code != field_code
                }
            table.invalidate_all()
        return field


def add_options(store: Store, field_entity: str, field_code: str, labels: list) -> list[dict]:
    with store.lock:
        field = _option_field(store, field_entity, field_code)
        if not labels:
            raise bad_request("At least one option is required")
        now = iso(store.clock.now())
        added = [option(store.new_option_id(), _label(item), now) for item in labels]
        field["options"].extend(added)
        return [{"id": item["id"], "label": item["label"]} for item in added]


def rename_options(store: Store, field_entity: str, field_code: str, changes: list) -> list[dict]:
    with store.lock:
        field = _option_field(store, field_entity, field_code)
        by_id = {item["id"]: item for item in field["options"]}
        if not changes or any(not isinstance(item, dict) or item.get("id") not in by_id for item in changes):
            raise bad_request("Every option must name an existing option id")
        now = iso(store.clock.now())
        for item in changes:
            by_id[item["id"]]["label"] = _label(item)
            by_id[item["id"]]["update_time"] = now
        return [{"id": item["id"], "label": by_id[item["id"]]["label"]} for item in changes]


def delete_options(store: Store, field_entity: str, field_code: str, option_ids: list) -> list[dict]:
    with store.lock:
        field = _option_field(store, field_entity, field_code)
        ids = {item["id"] if isinstance(item, dict) else item for item in option_ids or ()}
        by_id = {item["id"]: item for item in field["options"]}
        if not ids or not ids <= set(by_id):
            raise bad_request("Every option must name an existing option id")
        field["options"] = [item for item in field["options"] if item["id"] not in ids]
        for table in _records_with(store, field_entity):
            for record in table.rows.values():
                value = record["custom_fields"].get(field_code)
                if field["field_type"] == "enum" and value in ids:
                    record["custom_fields"] = {**record["custom_fields"], field_code: None}
                elif field["field_type"] == "set" and value and ids & set(value):
                    remaining = [item for item in value if item not in ids] or None
                    record["custom_fields"] = {**record["custom_fields"], field_code: remaining}
            table.invalidate_all()
        return [{"id": option_id, "label": by_id[option_id]["label"]} for option_id in sorted(ids)]


def _option_field(store: Store, field_entity: str, field_code: str) -> dict:
    field = get_field(store, field_entity, field_code)
    if field["field_type"] not in OPTION_TYPES or not field["is_custom_field"]:
        raise bad_request("Only custom enum and set fields have editable options")
    return field


def _label(item) -> str:
    label = item.get("label") if isinstance(item, dict) else item
    if not isinstance(label, str) or not label or len(label) > 255:
        raise bad_request("Every option needs a label of 1 to 255 characters")
    return label
