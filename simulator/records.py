"""Write rules: defaults, validation and side effects of creating and changing records.

Shared by the HTTP write endpoints and the control API, so both have the same effects.
"""

from __future__ import annotations

import copy
import hashlib
import uuid

from simulator.clock import iso
from simulator.errors import ApiError, bad_request
from simulator.fields import ADDRESS_PARTS
from simulator.store import Store

READ_ONLY_KEYS = {"id", "add_time", "update_time", "is_deleted", "creator_user_id", "modified", "created"}

DEFAULTS: dict[str, dict] = {
    "deals": {
        "title": None,
        "owner_id": None,
        "person_id": None,
        "org_id": None,
        "pipeline_id": None,
        "stage_id": None,
        "value": 0,
        "currency": "EUR",
        "add_time": None,
        "update_time": None,
        "stage_change_time": None,
        "is_deleted": False,
        "is_archived": False,
        "status": "open",
        "probability": None,
        "lost_reason": None,
        "visible_to": 3,
        "close_time": None,
        "won_time": None,
        "lost_time": None,
        "expected_close_date": None,
        "label_ids": [],
        "origin": "API",
        "origin_id": None,
        "channel": None,
        "channel_id": None,
        "source_lead_id": None,
        "arr": None,
        "mrr": None,
        "acv": None,
    },
    "persons": {
        "name": None,
        "first_name": None,
        "last_name": None,
        "owner_id": None,
        "org_id": None,
        "add_time": None,
        "update_time": None,
        "emails": [],
        "phones": [],
        "is_deleted": False,
        "visible_to": 3,
        "label_ids": [],
        "picture_id": None,
        "postal_address": None,
        "notes": None,
        "im": [],
        "birthday": None,
        "job_title": None,
    },
    "organizations": {
        "name": None,
        "owner_id": None,
        "add_time": None,
        "update_time": None,
        "is_deleted": False,
        "visible_to": 3,
        "address": None,
        "label_ids": [],
    },
    "activities": {
        "subject": None,
        "type": "task",
        "owner_id": None,
        "creator_user_id": None,
        "is_deleted": False,
        "add_time": None,
        "update_time": None,
        "deal_id": None,
        "lead_id": None,
        "person_id": None,
        "org_id": None,
        "project_id": None,
        "due_date": None,
        "due_time": None,
        "duration": None,
        "busy": False,
        "done": False,
        "marked_as_done_time": None,
        "location": None,
        "participants": [],
        "attendees": [],
        "conference_meeting_client": None,
        "conference_meeting_url": None,
        "conference_meeting_id": None,
        "public_description": None,
        "priority": None,
        "note": None,
    },
    "products": {
        "name": None,
        "code": None,
        "unit": None,
        "tax": 0,
        "is_deleted": False,
        "is_linkable": True,
        "visible_to": 3,
        "owner_id": None,
        "billing_frequency": "one-time",
        "billing_frequency_cycles": None,
        "prices": [],
        "add_time": None,
        "update_time": None,
    },
    "pipelines": {
        "name": None,
        "order_nr": None,
        "is_deleted": False,
        "is_deal_probability_enabled": False,
        "add_time": None,
        "update_time": None,
    },
    "stages": {
        "order_nr": None,
        "name": None,
        "is_deleted": False,
        "deal_probability": 100,
        "pipeline_id": None,
        "is_deal_rot_enabled": False,
        "days_to_rotten": None,
        "add_time": None,
        "update_time": None,
    },
    "deal_products": {
        "sum": None,
        "tax": 0,
        "deal_id": None,
        "name": None,
        "product_id": None,
        "product_variation_id": None,
        "order_nr": None,
        "add_time": None,
        "update_time": None,
        "comments": None,
        "currency": None,
        "discount": 0,
        "discount_type": "percentage",
        "quantity": 1,
        "item_price": None,
        "tax_method": "inclusive",
        "is_enabled": True,
        "billing_frequency": "one-time",
        "billing_frequency_cycles": None,
        "billing_start_date": None,
    },
}
REQUIRED = {
    "deals": ("title",),
    "persons": ("name",),
    "organizations": ("name",),
    "products": ("name",),
    "pipelines": ("name",),
    "stages": ("name", "pipeline_id"),
    "deal_products": ("deal_id", "product_id", "item_price"),
}
LINKS = {
    "person_id": "persons",
    "org_id": "organizations",
    "deal_id": "deals",
    "owner_id": "users",
    "pipeline_id": "pipelines",
    "stage_id": "stages",
    "product_id": "products",
}


def create(store: Store, entity: str, data: dict) -> dict:
    """Build a new record from API-style input, validate it and store it (update_time = now)."""
    if not isinstance(data, dict):
        raise bad_request("Request body must be a JSON object")
    with store.lock:
        table = store.table(entity)
        if entity in DEFAULTS:
            for key in REQUIRED.get(entity, ()):
                if data.get(key) in (None, ""):
                    raise bad_request(f"Parameter '{key}' is required")
            record = copy.deepcopy(DEFAULTS[entity])
            record["id"] = store.next_id(entity)
            _apply(store, entity, record, data, creating=True)
        else:  # v1-only entities created through the control API: take the data as given
            record = copy.deepcopy(data)
            record.setdefault(
                "id", store.next_id(entity) if table.spec.id_type is int else _uuid(store, entity)
            )
        if table.spec.field_entity:
            empty = dict.fromkeys(store.fields[table.spec.field_entity].custom_codes())
            record["custom_fields"] = {
                **empty,
                **_custom_values(store, entity, data.get("custom_fields") or {}),
            }
        return store.insert(entity, record)


def update(store: Store, entity: str, record_id, changes: dict) -> dict:
    if not isinstance(changes, dict):
        raise bad_request("Request body must be a JSON object")
    with store.lock:
        record = copy.deepcopy(store.get(entity, record_id))
        if record.get("is_deleted"):
            raise ApiError(410, f"{store.table(entity).spec.label} is deleted")
        if entity in DEFAULTS:
            _apply(store, entity, record, changes, creating=False)
        else:
            record.update(
                {
                    key: value
                    for key, value in changes.items()
                    if key not in READ_ONLY_KEYS and key != "custom_fields"
                }
            )
        if "custom_fields" in changes and store.table(entity).spec.field_entity:
            record["custom_fields"].update(_custom_values(store, entity, changes["custom_fields"] or {}))
        return store.replace(entity, record)


def _apply(store: Store, entity: str, record: dict, data: dict, creating: bool) -> None:
    known = DEFAULTS[entity]
    for key, value in data.items():
        if key in READ_ONLY_KEYS or key == "custom_fields":
            continue
        if key not in known:
            raise bad_request(f"Unknown parameter '{key}'")
        if key in LINKS and value is not None:
            _must_exist(store, LINKS[key], value, key)
        record[key] = value
    if record.get("owner_id") is None and "owner_id" in known:
        record["owner_id"] = 1
    if entity in ENTITY_RULES:
        ENTITY_RULES[entity](store, record, data, creating, store.clock.now())


def _person_rules(store: Store, record: dict, data: dict, creating: bool, now: int) -> None:
    if creating and record["first_name"] is None:
        first, _, last = record["name"].partition(" ")
        record["first_name"], record["last_name"] = first, last or None


def _activity_rules(store: Store, record: dict, data: dict, creating: bool, now: int) -> None:
    if creating:
        record["creator_user_id"] = record["owner_id"]
        record["subject"] = record["subject"] or record["type"].capitalize()
    if "done" in data:
        record["marked_as_done_time"] = iso(now) if data["done"] else None


def _stage_rules(store: Store, record: dict, data: dict, creating: bool, now: int) -> None:
    if creating and record["order_nr"] is None:
        record["order_nr"] = 1 + sum(
            1
            for stage in store.tables["stages"].rows.values()
            if stage["pipeline_id"] == record["pipeline_id"]
        )


def _pipeline_rules(store: Store, record: dict, data: dict, creating: bool, now: int) -> None:
    if creating and record["order_nr"] is None:
        record["order_nr"] = len(store.tables["pipelines"]) + 1


def _deal_product_rules(store: Store, record: dict, data: dict, creating: bool, now: int) -> None:
    product = store.get("products", record["product_id"])
    deal = store.get("deals", record["deal_id"])
    record["name"] = record["name"] or product["name"]
    record["currency"] = record["currency"] or deal["currency"]
    discount = record["discount"] or 0
    gross = record["item_price"] * record["quantity"]
    net = gross * (100 - discount) / 100 if record["discount_type"] == "percentage" else gross - discount
    record["sum"] = round(net, 2)
    if creating and record["order_nr"] is None:
        record["order_nr"] = len(store.deal_product_ids.get(record["deal_id"], ())) + 1


def _deal_rules(store: Store, record: dict, data: dict, creating: bool, now: int) -> None:
    stages = store.tables["stages"].rows
    if "stage_id" in data and data["stage_id"] is not None:
        record["pipeline_id"] = stages[data["stage_id"]]["pipeline_id"]
        record["stage_change_time"] = iso(now) if not creating else None
    elif record["stage_id"] is None or ("pipeline_id" in data and data["pipeline_id"] is not None):
        pipeline_id = record["pipeline_id"] or min(store.tables["pipelines"].rows)
        first = min(
            (stage["order_nr"], stage["id"])
            for stage in stages.values()
            if stage["pipeline_id"] == pipeline_id and not stage["is_deleted"]
        )
        record["pipeline_id"], record["stage_id"] = pipeline_id, first[1]
    if "status" in data:
        status = data["status"]
        if status not in ("open", "won", "lost"):
            raise bad_request("status must be one of open, won, lost")
        stamp = iso(now)
        record["won_time"] = stamp if status == "won" else None
        record["lost_time"] = stamp if status == "lost" else None
        record["close_time"] = None if status == "open" else stamp
        if status != "lost":
            record["lost_reason"] = None


ENTITY_RULES = {
    "deals": _deal_rules,
    "persons": _person_rules,
    "activities": _activity_rules,
    "stages": _stage_rules,
    "pipelines": _pipeline_rules,
    "deal_products": _deal_product_rules,
}


def _must_exist(store: Store, entity: str, record_id, key: str) -> None:
    if record_id not in store.tables[entity].rows:
        raise bad_request(f"{key} {record_id} does not exist")


def _custom_values(store: Store, entity: str, values: dict) -> dict:
    """Validate custom-field input (v2 value shapes) against the field definitions."""
    if not isinstance(values, dict):
        raise bad_request("custom_fields must be an object keyed by field code")
    registry = store.fields[store.table(entity).spec.field_entity]
    clean = {}
    for code, value in values.items():
        field = registry.get(code)
        if field is None or not field["is_custom_field"]:
            raise bad_request(f"Unknown custom field '{code}'")
        clean[code] = None if value is None else _check_value(store, field, value)
    return clean


# v2 composite values: the keys each keeps besides `value`
VALUE_PARTS = {
    "monetary": ("currency",),
    "daterange": ("until",),
    "time": ("timezone_id", "timezone_name"),
    "timerange": ("until", "timezone_id", "timezone_name"),
    "address": ADDRESS_PARTS,
}
REFERENCE_TARGETS = {"user": "users", "org": "organizations", "people": "persons"}
TEXT_TYPES = ("varchar", "varchar_auto", "text", "phone", "date")


def _check_value(store: Store, field: dict, value):
    """The value as stored (composite values keep only their known parts), or a 400 saying why not."""
    kind = field["field_type"]
    if kind == "address" and isinstance(value, str):
        value = {"value": value}
    problem = _value_problem(store, field, value)
    if problem:
        raise bad_request(f"Custom field '{field['field_name']}' ({field['field_code']}) {problem}")
    if kind == "set":
        return sorted(set(value))
    if kind in VALUE_PARTS:
        return {"value": value["value"], **{part: value.get(part) for part in VALUE_PARTS[kind]}}
    return value


def _value_problem(store: Store, field: dict, value) -> str | None:
    kind = field["field_type"]
    option_ids = {item["id"] for item in field.get("options") or ()}
    if kind == "enum":
        return None if value in option_ids else "must be one of the field's option ids"
    if kind == "set":
        valid = isinstance(value, list) and set(value) <= option_ids
        return None if valid else "must be a list of the field's option ids"
    if kind == "double":
        valid = isinstance(value, int | float) and not isinstance(value, bool)
        return None if valid else "must be a number"
    if kind in VALUE_PARTS:
        return None if isinstance(value, dict) and "value" in value else COMPOSITE_PROBLEMS[kind]
    if kind in REFERENCE_TARGETS:
        target = REFERENCE_TARGETS[kind]
        return None if value in store.tables[target].rows else f"must be an existing {target} id"
    if kind in TEXT_TYPES and not isinstance(value, str):
        return "must be a string"
    return None


COMPOSITE_PROBLEMS = {
    "monetary": "must be an object {value, currency}",
    "daterange": "must be an object with 'value'",
    "time": "must be an object with 'value'",
    "timerange": "must be an object with 'value'",
    "address": "must be an address object or a string",
}


def _uuid(store: Store, entity: str) -> str:
    """A uuid4-shaped id, deterministic for the seed and the entity's size, never one in use."""
    rows = store.table(entity).rows
    counter = len(rows)
    while True:
        digest = hashlib.sha1(f"{store.seed}:{entity}:{counter}".encode()).digest()
        candidate = str(uuid.UUID(bytes=digest[:16], version=4))
        if candidate not in rows:
            return candidate
        counter += 1
