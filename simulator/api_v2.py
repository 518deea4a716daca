"""API v2 endpoints: records, archived deals, deal products and field definitions.

Endpoints are declared as data (`LISTS`, `FIELD_PATHS`) and registered on the router with the
token costs of Pipedrive's spec (`x-token-cost`).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from simulator import field_ops, records
from simulator.errors import ApiError, bad_request
from simulator.fields import option_labels, with_option_labels
from simulator.pagination import PageRequest, decode_cursor, encode_cursor, page, parse_limit, parse_window
from simulator.routing import Request, Response, Router, ok, ok_raw
from simulator.store import FOLLOWED_TYPE, Store

MAX_CUSTOM_FIELD_KEYS = 15

DEAL_EXTRAS = (
    "next_activity_id",
    "last_activity_id",
    "first_won_time",
    "products_count",
    "files_count",
    "notes_count",
    "followers_count",
    "email_messages_count",
    "activities_count",
    "done_activities_count",
    "undone_activities_count",
    "participants_count",
    "last_incoming_mail_time",
    "last_outgoing_mail_time",
    "smart_bcc_email",
    "source_lead_id",
)
PERSON_EXTRAS = (
    "next_activity_id",
    "last_activity_id",
    "open_deals_count",
    "related_open_deals_count",
    "closed_deals_count",
    "related_closed_deals_count",
    "participant_open_deals_count",
    "participant_closed_deals_count",
    "email_messages_count",
    "activities_count",
    "done_activities_count",
    "undone_activities_count",
    "files_count",
    "notes_count",
    "followers_count",
    "won_deals_count",
    "related_won_deals_count",
    "lost_deals_count",
    "related_lost_deals_count",
    "last_incoming_mail_time",
    "last_outgoing_mail_time",
    "marketing_status",
    "doi_status",
    "smart_bcc_email",
)
ORG_EXTRAS = (
    "next_activity_id",
    "last_activity_id",
    "open_deals_count",
    "related_open_deals_count",
    "closed_deals_count",
    "related_closed_deals_count",
    "email_messages_count",
    "people_count",
    "activities_count",
    "done_activities_count",
    "undone_activities_count",
    "files_count",
    "notes_count",
    "followers_count",
    "won_deals_count",
    "related_won_deals_count",
    "lost_deals_count",
    "related_lost_deals_count",
    "smart_bcc_email",
)


@dataclass(frozen=True)
class EntityEndpoints:
    entity: str
    path: str
    sort_fields: tuple[str, ...] = ("id", "update_time", "add_time")
    filters: tuple[str, ...] = ()  # query parameters that filter on the record key of the same name
    incremental: bool = True  # updated_since / updated_until
    custom_fields: bool = False  # custom_fields / include_option_labels
    extras: tuple[str, ...] = ()  # include_fields
    list_cost: int = 10


LISTS = (
    EntityEndpoints(
        "deals",
        "/deals",
        filters=("owner_id", "person_id", "org_id", "pipeline_id", "stage_id"),
        custom_fields=True,
        extras=DEAL_EXTRAS,
    ),
    EntityEndpoints(
        "persons", "/persons", filters=("owner_id", "org_id"), custom_fields=True, extras=PERSON_EXTRAS
    ),
    EntityEndpoints(
        "organizations", "/organizations", filters=("owner_id",), custom_fields=True, extras=ORG_EXTRAS
    ),
    EntityEndpoints(
        "activities",
        "/activities",
        ("id", "update_time", "add_time", "due_date"),
        filters=("owner_id", "deal_id", "lead_id", "person_id", "org_id", "done"),
        extras=("attendees",),
    ),
    EntityEndpoints(
        "products",
        "/products",
        ("id", "name", "add_time", "update_time"),
        filters=("owner_id",),
        custom_fields=True,
    ),
    EntityEndpoints("pipelines", "/pipelines", incremental=False, list_cost=5),
    EntityEndpoints(
        "stages",
        "/stages",
        ("id", "update_time", "add_time", "order_nr"),
        filters=("pipeline_id",),
        incremental=False,
        list_cost=5,
    ),
)
BY_ENTITY = {spec.entity: spec for spec in LISTS}
# The lists `--deleted-listing hidden` leaves soft-deleted records out of.
HIDDEN_WHEN_DELETED = ("persons", "organizations", "activities", "products")
DELETED_LISTINGS = ("flagged", "hidden")
FIELD_PATHS = {
    "deal_fields": "/dealFields",
    "person_fields": "/personFields",
    "organization_fields": "/organizationFields",
    "product_fields": "/productFields",
    "activity_fields": "/activityFields",
}
FIELD_SETTINGS = ("ui_visibility", "important_fields", "required_fields")  # not echoed by a field delete
CREATED_STATUS = {"products": 201}  # the spec answers most creates with 200, these with 201
DEAL_PRODUCT_SORTS = ("id", "deal_id", "add_time", "update_time", "order_nr")
DEAL_STATUSES = ("open", "won", "lost", "deleted")


# ---- rendering ---------------------------------------------------------------------------


class View:
    """How to render records of one request: the cached bytes, or a per-request variant."""

    def __init__(self, request: Request, spec: EntityEndpoints) -> None:
        self.store: Store = request.store
        self.spec = spec
        self.extras = _comma_list(request.query.get("include_fields"))
        unknown = [name for name in self.extras if name not in spec.extras]
        if unknown:
            raise bad_request(f"include_fields: unknown field(s) {', '.join(unknown)}")
        self.only_custom = None
        self.labels = None
        if spec.custom_fields:
            if request.query.get("custom_fields"):
                self.only_custom = _comma_list(request.query["custom_fields"])
                if len(self.only_custom) > MAX_CUSTOM_FIELD_KEYS:
                    raise bad_request(f"custom_fields accepts at most {MAX_CUSTOM_FIELD_KEYS} keys")
            if request.flag("include_option_labels"):
                registry = self.store.fields[self.store.table(spec.entity).spec.field_entity]
                self.labels = {
                    field["field_code"]: (field, option_labels(field))
                    for field in registry.custom()
                    if field["field_type"] in ("enum", "set")
                }
        self.plain = not self.extras and self.only_custom is None and self.labels is None

    def one(self, record_id) -> bytes:
        table = self.store.tables[self.spec.entity]
        if self.plain:
            return table.json_of(record_id)
        return orjson.dumps(self.render(table.rows[record_id]))

    def render(self, record: dict) -> dict:
        out = dict(record)
        if "custom_fields" in record and (self.only_custom is not None or self.labels):
            custom = record["custom_fields"]
            if self.only_custom is not None:
                custom = {code: custom[code] for code in self.only_custom if code in custom}
            if self.labels:
                custom = {
                    code: with_option_labels(value, *self.labels[code]) if code in self.labels else value
                    for code, value in custom.items()
                }
            out["custom_fields"] = custom
        for name in self.extras:
            out[name] = _extra(self.store, self.spec.entity, record, name)
        return out

    def many(self, ids: list) -> bytes:
        return b"[" + b",".join(self.one(record_id) for record_id in ids) + b"]"


def _extra(store: Store, entity: str, record: dict, name: str):
    """Optional `include_fields` values, from the relations the store tracks; unknown counts are 0."""
    if name == "attendees":
        return record.get("attendees", [])
    if name == "products_count":
        return len(store.deal_product_ids.get(record["id"], ()))
    if name == "participants_count":
        return len(store.participant_ids.get(record["id"], ()))
    if name == "followers_count":
        return len(store.follower_ids.get((FOLLOWED_TYPE[entity], record["id"]), ()))
    if name == "activities_count":
        key = {"deals": "deal_id", "persons": "person_id", "organizations": "org_id"}[entity]
        return store.activity_counts[key].get(record["id"], 0)
    if name == "source_lead_id":
        return record.get("source_lead_id")
    if name == "smart_bcc_email":
        return f"sim+{entity}{record['id']}@pipedrivemail.example"
    if name.endswith("_count"):
        return 0
    return None


# ---- handlers ----------------------------------------------------------------------------


def list_handler(spec: EntityEndpoints, archived: bool | None = None):
    def handle(request: Request) -> Response:
        store: Store = request.store
        query = request.query
        view = View(request, spec)
        page_request = _page_request(query, spec.sort_fields)
        if spec.incremental:
            page_request.since, page_request.until = parse_window(
                query.get("updated_since"), query.get("updated_until")
            )
        page_request.ids = _int_list(query.get("ids"), "ids")
        page_request.accept = _accept(spec, query, archived)
        if store.deleted_listing == "hidden" and spec.entity in HIDDEN_WHEN_DELETED:
            page_request.accept = _without_deleted(page_request.accept)
        with store.lock:
            ids, next_cursor = page(store.tables[spec.entity], page_request)
            data = view.many(ids)
        return ok_raw(data, {"next_cursor": next_cursor})

    return handle


def get_handler(spec: EntityEndpoints):
    def handle(request: Request) -> Response:
        store: Store = request.store
        record_id = _path_id(request)
        view = View(request, spec)
        with store.lock:
            store.get(spec.entity, record_id)
            data = view.one(record_id)
        return ok_raw(data)

    return handle


def create_handler(entity: str):
    status = CREATED_STATUS.get(entity, 200)

    def handle(request: Request) -> Response:
        return ok(records.create(request.store, entity, request.json()), status=status)

    return handle


def update_handler(entity: str):
    def handle(request: Request) -> Response:
        return ok(records.update(request.store, entity, _path_id(request), request.json()))

    return handle


def delete_handler(entity: str):
    def handle(request: Request) -> Response:
        record_id = _path_id(request)
        request.store.soft_delete(entity, record_id)
        return ok({"id": record_id})

    return handle


def deal_products_handler(request: Request) -> Response:
    """GET /deals/products?deal_ids=...: the products of many deals in one call."""
    deal_ids = _int_list(request.query.get("deal_ids"), "deal_ids")
    if not deal_ids:
        raise bad_request("deal_ids is required")
    if len(deal_ids) > 100:
        raise bad_request("deal_ids accepts at most 100 ids")
    return _deal_products_page(request, deal_ids)


def one_deal_products_handler(request: Request) -> Response:
    deal_id = _path_id(request)
    request.store.get("deals", deal_id)
    return _deal_products_page(request, [deal_id])


def _deal_products_page(request: Request, deal_ids: list[int]) -> Response:
    store: Store = request.store
    page_request = _page_request(request.query, DEAL_PRODUCT_SORTS)
    with store.lock:
        page_request.ids = [aid for deal_id in deal_ids for aid in store.deal_product_ids.get(deal_id, ())]
        table = store.tables["deal_products"]
        ids, next_cursor = page(table, page_request)
        data = b"[" + b",".join(table.json_of(record_id) for record_id in ids) + b"]"
    return ok_raw(data, {"next_cursor": next_cursor})


def add_deal_product_handler(request: Request) -> Response:
    body = request.json()
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    return ok(
        records.create(request.store, "deal_products", {**body, "deal_id": _path_id(request)}), status=201
    )


def update_deal_product_handler(request: Request) -> Response:
    attachment_id = _path_id(request, "product_attachment_id")
    _own_attachment(request, attachment_id)
    return ok(records.update(request.store, "deal_products", attachment_id, request.json()))


def delete_deal_product_handler(request: Request) -> Response:
    """Removing a product from a deal is a hard delete: the row simply disappears."""
    attachment_id = _path_id(request, "product_attachment_id")
    _own_attachment(request, attachment_id)
    request.store.soft_delete("deal_products", attachment_id)
    return ok({"id": attachment_id})


def _own_attachment(request: Request, attachment_id: int) -> None:
    attachment = request.store.get("deal_products", attachment_id)
    if attachment["deal_id"] != _path_id(request):
        raise ApiError(404, "Product attachment not found")


# ---- field definitions -------------------------------------------------------------------


def fields_list_handler(field_entity: str):
    def handle(request: Request) -> Response:
        store: Store = request.store
        limit = parse_limit(request.query.get("limit"))
        start = 0
        if request.query.get("cursor"):
            start = decode_cursor(request.query["cursor"], "position", False)[1]
        with store.lock:
            fields = store.field_registry(field_entity).fields
            chunk = fields[start : start + limit]
            more = start + limit < len(fields)
            data = orjson.dumps(chunk)
        cursor = encode_cursor("position", False, (start + limit, start + limit)) if more else None
        return ok_raw(data, {"next_cursor": cursor})

    return handle


def field_get_handler(field_entity: str):
    def handle(request: Request) -> Response:
        with request.store.lock:
            return ok(field_ops.get_field(request.store, field_entity, request.params["field_code"]))

    return handle


def field_create_handler(field_entity: str):
    def handle(request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            raise bad_request("Request body must be a JSON object")
        field = field_ops.add_field(
            request.store,
            field_entity,
            body.get("field_name"),
            body.get("field_type"),
            body.get("options"),
            body.get("description", ""),
        )
        return ok(field)

    return handle


def field_update_handler(field_entity: str):
    def handle(request: Request) -> Response:
        return ok(
            field_ops.update_field(request.store, field_entity, request.params["field_code"], request.json())
        )

    return handle


def field_delete_handler(field_entity: str):
    def handle(request: Request) -> Response:
        field = field_ops.delete_field(request.store, field_entity, request.params["field_code"])
        return ok({key: value for key, value in field.items() if key not in FIELD_SETTINGS})

    return handle


def options_handler(field_entity: str, operation):
    def handle(request: Request) -> Response:
        body = request.json()
        if not isinstance(body, list):
            raise bad_request("Request body must be a JSON array")
        return ok(operation(request.store, field_entity, request.params["field_code"], body))

    return handle


# ---- registration ------------------------------------------------------------------------


def followers_handler(entity: str):
    """GET /{entity}/{id}/followers: the users following a record, cursor-paged by follower id."""
    item_type = FOLLOWED_TYPE[entity]

    def handle(request: Request) -> Response:
        store: Store = request.store
        record_id = _path_id(request)
        page_request = _page_request(request.query, ("id",))
        with store.lock:
            store.get(entity, record_id)
            table = store.tables["followers"]
            page_request.ids = sorted(store.follower_ids.get((item_type, record_id), ()))
            ids, next_cursor = page(table, page_request)
            data = [
                {"user_id": table.rows[fid]["user_id"], "add_time": table.rows[fid]["add_time"]}
                for fid in ids
            ]
        return ok_raw(orjson.dumps(data), {"next_cursor": next_cursor})

    return handle


def register(router: Router) -> None:
    for entity in FOLLOWED_TYPE:
        router.add_v2("GET", f"/{entity}/{{id}}/followers", followers_handler(entity), 10)
    router.add_v2("GET", "/deals/archived", list_handler(BY_ENTITY["deals"], archived=True), 20)
    router.add_v2("GET", "/deals/products", deal_products_handler, 10)
    router.add_v2("GET", "/deals/{id}/products", one_deal_products_handler, 10)
    router.add_v2("POST", "/deals/{id}/products", add_deal_product_handler, 5)
    router.add_v2("PATCH", "/deals/{id}/products/{product_attachment_id}", update_deal_product_handler, 5)
    router.add_v2("DELETE", "/deals/{id}/products/{product_attachment_id}", delete_deal_product_handler, 3)
    for spec in LISTS:
        router.add_v2(
            "GET",
            spec.path,
            list_handler(spec, archived=False if spec.entity == "deals" else None),
            spec.list_cost,
        )
        router.add_v2("GET", spec.path + "/{id}", get_handler(spec), 1)
        router.add_v2("POST", spec.path, create_handler(spec.entity), 5)
        router.add_v2("PATCH", spec.path + "/{id}", update_handler(spec.entity), 5)
        router.add_v2("DELETE", spec.path + "/{id}", delete_handler(spec.entity), 3)
    for field_entity, path in FIELD_PATHS.items():
        router.add_v2("GET", path, fields_list_handler(field_entity), 10)
        router.add_v2("GET", path + "/{field_code}", field_get_handler(field_entity), 1)
        if field_entity == "activity_fields":
            continue
        router.add_v2("POST", path, field_create_handler(field_entity), 5)
        router.add_v2("PATCH", path + "/{field_code}", field_update_handler(field_entity), 5)
        router.add_v2("DELETE", path + "/{field_code}", field_delete_handler(field_entity), 3)
        router.add_v2(
            "POST", path + "/{field_code}/options", options_handler(field_entity, field_ops.add_options), 5
        )
        router.add_v2(
            "PATCH",
            path + "/{field_code}/options",
            options_handler(field_entity, field_ops.rename_options),
            5,
        )
        router.add_v2(
            "DELETE",
            path + "/{field_code}/options",
            options_handler(field_entity, field_ops.delete_options),
            3,
        )


# ---- query parsing -----------------------------------------------------------------------


def _page_request(query: dict[str, str], sort_fields: tuple[str, ...]) -> PageRequest:
    sort_by = query.get("sort_by") or "id"
    if sort_by not in sort_fields:
        raise bad_request(f"sort_by must be one of {', '.join(sort_fields)}")
    direction = (query.get("sort_direction") or "asc").lower()
    if direction not in ("asc", "desc"):
        raise bad_request("sort_direction must be asc or desc")
    request = PageRequest(
        sort_by=sort_by, descending=direction == "desc", limit=parse_limit(query.get("limit"))
    )
    if query.get("cursor"):
        request.after = decode_cursor(query["cursor"], sort_by, request.descending)
    return request


def _accept(spec: EntityEndpoints, query: dict[str, str], archived: bool | None):
    checks = []
    for name in spec.filters:
        raw = query.get(name)
        if raw in (None, ""):
            continue
        if name == "done":
            wanted = raw.lower() in ("1", "true")
            checks.append(lambda record, wanted=wanted: record["done"] is wanted)
        elif name == "lead_id":
            checks.append(lambda record, raw=raw: record.get("lead_id") == raw)
        else:
            value = _int(raw, name)
            checks.append(lambda record, name=name, value=value: record.get(name) == value)
    if spec.entity == "deals":
        statuses = set(_comma_list(query.get("status"))) or {"open", "won", "lost"}
        if statuses - set(DEAL_STATUSES):
            raise bad_request(f"status must be a comma list of {', '.join(DEAL_STATUSES)}")
        with_deleted = "deleted" in statuses
        checks.append(
            lambda record: (
                (with_deleted if record["is_deleted"] else record["status"] in statuses)
                and record["is_archived"] is archived
            )
        )
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    return lambda record: all(check(record) for check in checks)


def _without_deleted(accept):
    if accept is None:
        return lambda record: not record.get("is_deleted")
    return lambda record: not record.get("is_deleted") and accept(record)


def _path_id(request: Request, name: str = "id") -> int:
    return _int(request.params[name], name)


def _int(raw: str, name: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise bad_request(f"{name} must be an integer") from None


def _int_list(raw: str | None, name: str) -> list[int] | None:
    if not raw:
        return None
    return [_int(part, name) for part in _comma_list(raw)]


def _comma_list(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]
