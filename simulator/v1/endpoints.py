"""The v1 endpoints: each takes the store, path parameters and query, and returns the JSON body.

Errors are raised as `simulator.errors.ApiError`; the server renders them. Token costs and
URL patterns live in `simulator.v1.routes`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from simulator.clock import parse_instant
from simulator.errors import ApiError, bad_request, not_found
from simulator.store import Store
from simulator.v1.convert import CONVERTERS, custom_value_to_v1
from simulator.v1.fields import V1_FIELD_PATHS, fields_to_v1, lead_fields
from simulator.v1.pagination import parse_page
from simulator.v1.related import related_from_store

Query = Mapping[str, str]
Body = dict[str, Any]

#: The API token's user (`/v1/users/me`, default `user_id` of `/v1/activities`).
ME_USER_ID = 1


def _ok(data: Any, additional_data: Any = None) -> Body:
    body: Body = {"success": True, "data": data}
    if additional_data is not None:
        body["additional_data"] = additional_data
    return body


def _int_param(query: Query, name: str) -> int | None:
    raw = query.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"Parameter {name} must be an integer") from None


def _path_int(value: str, label: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise not_found(label) from None


def _sorted_rows(store: Store, entity: str, sort: str | None, allowed: Iterable[str]) -> list[dict]:
    """Rows in v1 `sort` order (`field ASC|DESC`, first field only); default is by id."""
    table = store.table(entity)
    if not sort:
        return [table.rows[record_id] for record_id in table.by_id]
    key, _, direction = sort.split(",")[0].strip().partition(" ")
    if key not in allowed:
        raise bad_request(f"Sorting by {key!r} is not supported")
    if key == "update_time":
        ordered = [table.rows[record_id] for _, record_id in table.by_update]
    elif key == "add_time":
        ordered = [table.rows[record_id] for _, record_id in table.by_add]
    else:
        ordered = [table.rows[record_id] for record_id in table.by_id]
        if key != "id":
            ordered.sort(key=lambda row: (row.get(key) is None, row.get(key)))
    if direction.strip().upper() == "DESC":
        ordered.reverse()
    return ordered


# ---------------------------------------------------------------------------------------
# Deprecated v1 list + get-one for deals, persons, organizations, activities, products
# ---------------------------------------------------------------------------------------

SORTABLE = ("id", "update_time", "add_time", "title", "name", "value", "due_date")


def _deal_filter(query: Query, archived: bool) -> Callable[[dict], bool]:
    status = query.get("status") or "all_not_deleted"
    statuses = {item.strip() for item in status.split(",")}
    user_id = _int_param(query, "user_id")
    stage_id = _int_param(query, "stage_id")

    def keep(deal: dict) -> bool:
        if bool(deal.get("is_archived")) != archived:
            return False
        if deal.get("is_deleted"):
            if "deleted" not in statuses:
                return False
        elif "all_not_deleted" not in statuses and deal.get("status") not in statuses:
            return False
        if user_id and deal.get("owner_id") != user_id:
            return False
        return not (stage_id and deal.get("stage_id") != stage_id)

    return keep


def _active_filter(query: Query) -> Callable[[dict], bool]:
    user_id = _int_param(query, "user_id")

    def keep(record: dict) -> bool:
        return not record.get("is_deleted") and not (user_id and record.get("owner_id") != user_id)

    return keep


def _activity_filter(query: Query) -> Callable[[dict], bool]:
    """`user_id` omitted means the token's user; 0 means everyone (a classic v1 trap)."""
    user_id = _int_param(query, "user_id")
    user_id = ME_USER_ID if user_id is None else user_id
    done = _int_param(query, "done")
    types = {item for item in (query.get("type") or "").split(",") if item}
    start_date, end_date = query.get("start_date"), query.get("end_date")

    def keep(activity: dict) -> bool:
        if activity.get("is_deleted"):
            return False
        if user_id and activity.get("owner_id") != user_id:
            return False
        if done is not None and bool(activity.get("done")) != bool(done):
            return False
        if types and activity.get("type") not in types:
            return False
        due = activity.get("due_date") or ""
        return not ((start_date and due < start_date) or (end_date and due > end_date))

    return keep


_FILTERS: dict[str, Callable[[Query], Callable[[dict], bool]]] = {
    "deals": lambda query: _deal_filter(query, archived=False),
    "persons": _active_filter,
    "organizations": _active_filter,
    "activities": _activity_filter,
    "products": _active_filter,
}


def list_records(store: Store, entity: str, query: Query, archived: bool = False) -> Body:
    """`GET /v1/{entity}`: offset pages of v1 records with `additional_data.pagination`."""
    page = parse_page(query)
    keep = _deal_filter(query, archived) if archived else _FILTERS[entity](query)
    with store.lock:
        rows = [row for row in _sorted_rows(store, entity, query.get("sort"), SORTABLE) if keep(row)]
        chunk, more = page.slice(rows)
        related = related_from_store(store)
        convert = CONVERTERS[entity]
        data = [convert(row, related) for row in chunk]
    return _ok(data or None, {"pagination": page.pagination(more)})


def get_record(store: Store, entity: str, record_id: str) -> Body:
    label = store.table(entity).spec.label
    with store.lock:
        record = store.get(entity, _path_int(record_id, label))
        return _ok(CONVERTERS[entity](record, related_from_store(store)))


def v1_record(store: Store, entity: str, record: dict) -> dict:
    """The control API's `truth(version="v1")` hook: one v2 record as v1 would return it."""
    if entity == "leads":
        return lead_to_v1(store, record)
    if entity in CONVERTERS:
        return CONVERTERS[entity](record, related_from_store(store))
    return record


# ---------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------


def list_users(store: Store, query: Query) -> Body:
    """All users at once: `/v1/users` takes no pagination parameters."""
    with store.lock:
        table = store.table("users")
        return _ok([table.rows[user_id] for user_id in table.by_id])


def get_user(store: Store, user_id: str) -> Body:
    with store.lock:
        return _ok(store.get("users", _path_int(user_id, "User")))


def get_me(store: Store, query: Query) -> Body:
    """The token's user with its company (id, name, domain: the account's identity)."""
    with store.lock:
        me = store.get("users", ME_USER_ID)
        language = {"language_code": me["locale"][:2], "country_code": me["locale"][-2:]}
        return _ok({**me, **store.company, "language": language})


# ---------------------------------------------------------------------------------------
# Leads (v1 shape in the store; deal custom fields flattened on the way out)
# ---------------------------------------------------------------------------------------

LEAD_SORTABLE = (
    "id", "title", "owner_id", "creator_id", "was_seen", "expected_close_date", "next_activity_id",
    "add_time", "update_time",
)  # fmt: skip


def lead_to_v1(store: Store, lead: dict) -> dict:
    """Only custom fields with a value appear on a lead, as top-level v1 keys."""
    out = {key: value for key, value in lead.items() if key != "custom_fields"}
    registry = store.fields["deal_fields"]
    for code, value in (lead.get("custom_fields") or {}).items():
        definition = registry.get(code)
        if value is not None and definition is not None:
            out.update(custom_value_to_v1(code, definition["field_type"], value))
    return out


def list_leads(store: Store, query: Query, archived: bool = False) -> Body:
    """Leads page with the spec's unwrapped pagination object; oldest first by default."""
    page = parse_page(query)
    filters = {name: _int_param(query, name) for name in ("owner_id", "person_id", "organization_id")}
    since = _instant(query.get("updated_since"), "updated_since") if query.get("updated_since") else None
    with store.lock:
        table = store.table("leads")
        if query.get("sort"):
            ordered = _sorted_rows(store, "leads", query["sort"], LEAD_SORTABLE)
        else:
            ordered = [table.rows[record_id] for _, record_id in table.by_add]
        rows = [
            lead
            for lead in ordered
            if bool(lead.get("is_archived")) == archived
            and all(value is None or lead.get(name) == value for name, value in filters.items())
            and (since is None or table.update_ts[lead["id"]] >= since)
        ]
        chunk, more = page.slice(rows)
        data = [lead_to_v1(store, lead) for lead in chunk]
    pagination = page.pagination(more)
    pagination.pop("next_start", None)
    return _ok(data, pagination)


def get_lead(store: Store, lead_id: str) -> Body:
    with store.lock:
        return _ok(lead_to_v1(store, store.get("leads", lead_id)))


def _instant(text: str, name: str) -> float:
    try:
        return parse_instant(text)
    except ValueError:
        raise bad_request(f"Parameter {name} is not a valid timestamp") from None


# ---------------------------------------------------------------------------------------
# Notes and small reference lists
# ---------------------------------------------------------------------------------------


def list_notes(store: Store, query: Query) -> Body:
    page = parse_page(query)
    filters = {name: _int_param(query, name) for name in ("user_id", "deal_id", "person_id", "org_id")}
    lead_id = query.get("lead_id")
    since = _instant(query["updated_since"], "updated_since") if query.get("updated_since") else None
    with store.lock:
        table = store.table("notes")
        rows = [
            note
            for note in _sorted_rows(store, "notes", query.get("sort"), ("id", "add_time", "update_time"))
            if all(value is None or note.get(name) == value for name, value in filters.items())
            and (lead_id is None or note.get("lead_id") == lead_id)
            and (since is None or table.update_ts[note["id"]] >= since)
        ]
        chunk, more = page.slice(rows)
    return _ok(chunk, {"pagination": page.pagination(more)})


def get_note(store: Store, note_id: str) -> Body:
    with store.lock:
        return _ok(store.get("notes", _path_int(note_id, "Note")))


def list_all(entity: str) -> Callable[[Store, Query], Body]:
    """Small unpaginated lists (activityTypes, currencies, leadLabels)."""

    def handler(store: Store, query: Query) -> Body:
        term = (query.get("term") or "").lower()
        with store.lock:
            table = store.table(entity)
            rows = [table.rows[record_id] for record_id in table.by_id]
        if term:
            rows = [row for row in rows if term in f"{row.get('code', '')} {row.get('name', '')}".lower()]
        return _ok(rows)

    return handler


# ---------------------------------------------------------------------------------------
# Field definitions
# ---------------------------------------------------------------------------------------


def list_fields(store: Store, path_name: str, query: Query) -> Body:
    field_entity = V1_FIELD_PATHS[path_name]
    page = parse_page(query, default_limit=500)
    with store.lock:
        fields = fields_to_v1(store.field_registry(field_entity).fields, field_entity)
    chunk, more = page.slice(fields)
    pagination = page.pagination(more)
    pagination.pop("next_start", None)
    return _ok(chunk, pagination)


def list_lead_fields(store: Store, query: Query) -> Body:
    page = parse_page(query)
    with store.lock:
        fields = fields_to_v1(lead_fields(store.field_registry("deal_fields").fields))
    chunk, more = page.slice(fields)
    return _ok(chunk, {"pagination": page.pagination(more)})


def get_field(store: Store, path_name: str, field_id: str) -> Body:
    field_entity = V1_FIELD_PATHS[path_name]
    wanted = _path_int(field_id, "Field")
    with store.lock:
        for field in fields_to_v1(store.field_registry(field_entity).fields, field_entity):
            if field["id"] == wanted:
                return _ok(field)
    raise ApiError(404, "Field not found")


# ---------------------------------------------------------------------------------------
# Deal history: /deals/{id}/changelog (newest first, opaque cursor)
# ---------------------------------------------------------------------------------------


def deal_changelog(store: Store, deal_id: str, query: Query) -> Body:
    """The deal's changes, newest first. The cursor names the next older entry, so changes made
    while a client pages never shift what it has still to read."""
    deal = store.get("deals", _path_int(deal_id, "Deal"))
    limit = parse_page(query).limit
    log = store.deal_history.of(deal)
    before = len(log)
    if query.get("cursor"):
        before = _changelog_position(query["cursor"], len(log))
    chunk = log[max(0, before - limit) : before][::-1]
    more = before - limit > 0
    next_cursor = _encode_position(before - limit) if more else None
    return _ok([change.as_api() for change in chunk], {"next_cursor": next_cursor})


def _encode_position(position: int) -> str:
    return base64.urlsafe_b64encode(f"changelog:{position}".encode()).decode().rstrip("=")


def _changelog_position(cursor: str, size: int) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = text.partition(":")
        position = int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_request("Invalid cursor") from None
    if kind != "changelog" or not 0 <= position <= size:
        raise bad_request("Invalid cursor")
    return position


# ---------------------------------------------------------------------------------------
# Call logs, goals, lead sources
# ---------------------------------------------------------------------------------------


def list_call_logs(store: Store, query: Query) -> Body:
    """Newest call first, offset paging (the spec declares no sort or time filter)."""
    page = parse_page(query)
    table = store.table("call_logs")
    rows = sorted(table.rows.values(), key=lambda row: (row["start_time"], row["id"]), reverse=True)
    chunk, more = page.slice(rows)
    return _ok(chunk, {"pagination": page.pagination(more)})


def get_call_log(store: Store, call_log_id: str) -> Body:
    return _ok(store.get("call_logs", call_log_id))


def find_goals(store: Store, query: Query) -> Body:
    """Goals matching the filters given; `is_active` defaults to true, as the spec says."""
    active = (query.get("is_active") or "true").lower() in ("1", "true")
    wanted_type = query.get("type.name")
    goals = [
        goal
        for goal_id in store.table("goals").by_id
        if (goal := store.table("goals").rows[goal_id])["is_active"] is active
        and (not wanted_type or goal["type"]["name"] == wanted_type)
    ]
    return _ok({"goals": goals})


def list_lead_sources(store: Store, query: Query) -> Body:
    return _ok(list(store.lead_sources))
