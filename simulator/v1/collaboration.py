"""v1 endpoints around the CRM core: note fields, filters, files, a deal's participants and its
flow (updates feed), and the deprecated `/pipelines`, `/stages` and `/deals/{id}/products` in
their last documented shape.

Lists that page answer `additional_data.pagination` with `next_start` when more items exist, as
Pipedrive's v1 does (some operation schemas leave the wrapper or `next_start` out; their examples
and the shared v1 pagination object have them).
"""

from __future__ import annotations

import re
from typing import Any

from simulator.clock import v1_time
from simulator.errors import bad_request
from simulator.fields import ADDRESS_PARTS
from simulator.store import Store
from simulator.v1.convert import CONVERTERS, person_ref, user_ref
from simulator.v1.convert import v1_time as v1_text
from simulator.v1.endpoints import Body, Query, _ok, _path_int
from simulator.v1.pagination import Page, parse_page
from simulator.v1.related import related_from_store

MAX_FILES_LIMIT = 100  # `/v1/files` documents a maximum limit of 100
CUSTOM_FIELD_KEY = re.compile(r"^[0-9a-f]{40}$")
YES_NO = [{"id": 1, "label": "Yes"}, {"id": 0, "label": "No"}]
#: Note fields (notes have no custom fields): key, name, type, options.
NOTE_FIELDS = (
    ("content", "Content", "text", None),
    ("user_id", "Owner", "user", None),
    ("person_id", "Person", "people", None),
    ("org_id", "Organization", "org", None),
    ("add_time", "Add time", "date", None),
    ("update_time", "Update time", "date", None),
    ("pinned_to_deal_flag", "Note is pinned to deal", "enum", YES_NO),
    ("pinned_to_person_flag", "Note is pinned to person", "enum", YES_NO),
    ("pinned_to_organization_flag", "Note is pinned to organization", "enum", YES_NO),
    ("pinned_to_lead_flag", "Note is pinned to lead", "enum", YES_NO),
)
FILE_SORTS = ("id", "update_time")
#: Participant persons carry the v1 person without these keys (the participants schema's person).
PARTICIPANT_PERSON_OMITS = (
    "im", "birthday", "job_title", "notes", "postal_address", "marketing_status", "delete_time",
    "primary_email", "participant_open_deals_count", "participant_closed_deals_count",
    *(f"postal_address_{part}" for part in ADDRESS_PARTS),
)  # fmt: skip


def _paged(items: list, page: Page, extra: dict | None = None) -> Body:
    chunk, more = page.slice(items)
    return _ok(chunk, {**(extra or {}), "pagination": page.pagination(more)})


def note_fields(store: Store, query: Query) -> Body:
    fields = []
    for order, (key, name, field_type, options) in enumerate(NOTE_FIELDS, start=1):
        field: dict[str, Any] = {
            "id": order,
            "key": key,
            "name": name,
            "field_type": field_type,
            "active_flag": True,
            "edit_flag": key.startswith("pinned_"),
            "bulk_edit_allowed": True,
            "mandatory_flag": key == "content",
        }
        if options:
            field["options"] = [dict(item) for item in options]
        fields.append(field)
    return _paged(fields, parse_page({}))


def list_filters(store: Store, query: Query) -> Body:
    kind = query.get("type")
    with store.lock:
        table = store.table("filters")
        rows = [table.rows[filter_id] for filter_id in table.by_id]
    return _ok([row for row in rows if kind in (None, "", row["type"])])


def list_files(store: Store, query: Query) -> Body:
    page = parse_page(query)
    page = Page(page.start, min(page.limit, MAX_FILES_LIMIT))
    key, _, direction = (query.get("sort") or "id").strip().partition(" ")
    if key not in FILE_SORTS:
        raise bad_request(f"Sorting files by {key!r} is not supported")
    with store.lock:
        table = store.table("files")
        rows = [table.rows[file_id] for file_id in table.by_id]
    rows.sort(key=lambda row: (row[key], row["id"]), reverse=direction.strip().upper() == "DESC")
    return _paged(rows, page)


def deal_participants(store: Store, deal_id: str, query: Query) -> Body:
    page = parse_page(query)
    with store.lock:
        deal = store.get("deals", _path_int(deal_id, "Deal"))
        related = related_from_store(store)
        table = store.table("deal_participants")
        links = [table.rows[link_id] for link_id in sorted(store.participant_ids.get(deal["id"], ()))]
        data = [_participant(store, related, deal, link) for link in links]
        users = {row["added_by_user_id"] for row in links}
        user_objects = {
            str(user_id): _user_object(store.tables["users"].rows.get(user_id), user_id) for user_id in users
        }
        person_objects = {str(row["person"]["id"]): _related_person(row["person"]) for row in data}
    body = _paged(data, page)
    body["related_objects"] = {"user": user_objects, "person": person_objects}
    return body


def _participant(store: Store, related, deal: dict, link: dict) -> dict:
    person = store.tables["persons"].rows[link["person_id"]]
    full = CONVERTERS["persons"](person, related)
    for key in PARTICIPANT_PERSON_OMITS:
        full.pop(key, None)
    return {
        "id": link["id"],
        "person_id": person_ref(person, person["id"]),
        "add_time": link["add_time"],
        "active_flag": link["active_flag"],
        "related_item_data": {"deal_id": deal["id"], "title": deal["title"]},
        "person": full,
        "added_by_user_id": user_ref(
            store.tables["users"].rows.get(link["added_by_user_id"]), link["added_by_user_id"], has_pic=0
        ),
        "related_item_type": "deal",
        "related_item_id": deal["id"],
    }


def _user_object(user: dict | None, user_id: int) -> dict:
    ref = user_ref(user, user_id, has_pic=0)
    ref.pop("value", None)
    return ref


def _related_person(person: dict) -> dict:
    keys = ("active_flag", "id", "name", "email", "phone")
    related = {key: person.get(key) for key in keys}
    owner = person.get("owner_id")
    related["owner_id"] = owner.get("value") if isinstance(owner, dict) else owner
    return related


def deal_flow(store: Store, deal_id: str, query: Query) -> Body:
    """The deal's updates feed, newest first: field changes (custom fields with `all_changes=1`),
    activities, notes, files and participants; `items` keeps only the named kinds."""
    page = parse_page(query)
    wanted = {item.strip() for item in (query.get("items") or "").split(",") if item.strip()}
    all_changes = (query.get("all_changes") or "") == "1"
    with store.lock:
        deal = store.get("deals", _path_int(deal_id, "Deal"))
        related = related_from_store(store)
        events = []
        for change in store.deal_history.of(deal):
            if all_changes or not CUSTOM_FIELD_KEY.match(change.field_key):
                events.append((change.ts, "dealChange", _change_data(deal["id"], change)))
        for activity in store.tables["activities"].rows.values():
            if activity.get("deal_id") == deal["id"] and not activity.get("is_deleted"):
                ts = store.tables["activities"].add_ts[activity["id"]]
                events.append((ts, "activity", CONVERTERS["activities"](activity, related)))
        for entity, kind in (("notes", "note"), ("files", "file"), ("deal_participants", "participant")):
            table = store.tables[entity]
            for record in table.rows.values():
                if record.get("deal_id") == deal["id"]:
                    events.append((table.add_ts[record["id"]], kind, record))
    if wanted:
        events = [event for event in events if event[1] in wanted]
    events.sort(key=lambda event: (event[0], event[1], event[2].get("id") or 0), reverse=True)
    items = [{"object": kind, "timestamp": v1_time(ts), "data": data} for ts, kind, data in events]
    body = _paged(items, page)
    summary = {
        key: deal.get(key)
        for key in ("id", "title", "status", "value", "currency", "stage_id", "pipeline_id")
    }
    body["related_objects"] = {"deal": {str(deal["id"]): summary}}
    return body


def _change_data(deal_id: int, change) -> dict:
    entry = change.as_api()
    return {
        "id": deal_id * 100_000 + change.seq,
        "item_id": deal_id,
        "user_id": entry["actor_user_id"],
        "field_key": entry["field_key"],
        "old_value": entry["old_value"],
        "new_value": entry["new_value"],
        "is_bulk_update_flag": None,
        "log_time": entry["time"],
        "change_source": entry["change_source"],
        "change_source_user_agent": entry["change_source_user_agent"],
        "additional_data": [],
    }


# ---- deprecated v1 endpoints, in their last documented shape ----------------------------


def list_pipelines(store: Store, query: Query) -> Body:
    """`/v1/pipelines`: every pipeline not deleted, in one answer (no paging documented)."""
    return _whole(store, "pipelines", lambda record: True)


def list_stages(store: Store, query: Query) -> Body:
    """`/v1/stages[?pipeline_id=]`: every stage not deleted, with its pipeline's name."""
    pipeline_id = query.get("pipeline_id")
    wanted = None if pipeline_id in (None, "") else _path_int(pipeline_id, "Pipeline")
    body = _whole(store, "stages", lambda record: wanted in (None, record["pipeline_id"]))
    with store.lock:
        pipelines = store.tables["pipelines"].rows
        for stage in body["data"]:
            pipeline = pipelines.get(stage["pipeline_id"]) or {}
            stage["pipeline_name"] = pipeline.get("name")
            stage["pipeline_deal_probability"] = bool(pipeline.get("is_deal_probability_enabled"))
    return body


def _whole(store: Store, entity: str, keep) -> Body:
    with store.lock:
        table = store.table(entity)
        related = related_from_store(store)
        rows = [table.rows[record_id] for record_id in table.by_id]
        data = [CONVERTERS[entity](row, related) for row in rows if not row.get("is_deleted") and keep(row)]
    return _ok(data)


def deal_products(store: Store, deal_id: str, query: Query) -> Body:
    """`/v1/deals/{id}/products`: the deal's product attachments in v1 terms, with totals."""
    page = parse_page(query)
    with_product = (query.get("include_product_data") or "0") == "1"
    with store.lock:
        deal = store.get("deals", _path_int(deal_id, "Deal"))
        table = store.tables["deal_products"]
        related = related_from_store(store)
        attachments = sorted(
            (table.rows[attachment_id] for attachment_id in store.deal_product_ids.get(deal["id"], ())),
            key=lambda row: (row["order_nr"], row["id"]),
        )
        data = [_attachment_to_v1(store, related, row, with_product) for row in attachments]
    chunk, more = page.slice(data)
    quantity = sum(row["quantity"] for row in data)
    total = round(sum(row["sum"] for row in data), 2)
    currency = deal.get("currency") or ""
    additional = {
        "products_quantity_total": quantity,
        "products_sum_total": total,
        "products_quantity_total_formatted": str(quantity),
        "products_sum_total_formatted": f"{total:,.2f} {currency}".strip(),
        "pagination": page.pagination(more),
    }
    return _ok(chunk or None, additional)


def _attachment_to_v1(store: Store, related, row: dict, with_product: bool) -> dict:
    currency = row.get("currency") or ""
    attachment = {
        "id": row["id"],
        "deal_id": row["deal_id"],
        "order_nr": row["order_nr"],
        "product_id": row["product_id"],
        "product_variation_id": row.get("product_variation_id"),
        "item_price": row["item_price"],
        "discount": row["discount"],
        "discount_type": row["discount_type"],
        "duration": 1,
        "duration_unit": None,
        "sum": row["sum"],
        "currency": currency,
        "enabled_flag": bool(row.get("is_enabled", True)),
        "add_time": v1_text(row.get("add_time")),
        "last_edit": v1_text(row.get("update_time")),
        "comments": row.get("comments"),
        "active_flag": True,
        "tax": row["tax"],
        "tax_method": row["tax_method"],
        "name": row["name"],
        "sum_formatted": f"{row['sum']:,.2f} {currency}".strip(),
        "quantity_formatted": str(row["quantity"]),
        "quantity": row["quantity"],
    }
    if with_product:
        product = store.tables["products"].rows.get(row["product_id"])
        attachment["product"] = CONVERTERS["products"](product, related) if product else None
        if attachment["product"]:  # here v1 keys the prices by currency
            prices = attachment["product"].get("prices") or []
            attachment["product"]["prices"] = {price["currency"]: price for price in prices}
    return attachment
