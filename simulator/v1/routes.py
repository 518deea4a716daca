"""The v1 routing table: (method, path, endpoint, token cost) rows, declared as data.

Costs follow `x-token-cost` of Pipedrive's v1 spec (v1 list 20, single item 2, archived
lists 40); the deprecated list endpoints, which the spec no longer carries, cost what the
notes give for v1 lists and single items. Every route answers under `/v1` and `/api/v1`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import orjson

from simulator.routing import Request, Response, Router
from simulator.v1 import collaboration, endpoints
from simulator.v1.fields import V1_FIELD_PATHS
from simulator.v1.recents import recents

V1_LIST_COST = 20
V1_ITEM_COST = 2
V1_ARCHIVED_COST = 40
CHANGELOG_COST = 20
FLOW_COST = 40
DEPRECATED_LISTS = {
    "deals": "/deals",
    "persons": "/persons",
    "organizations": "/organizations",
    "activities": "/activities",
    "products": "/products",
}

Endpoint = Callable[..., dict]


def _query_route(endpoint: Endpoint) -> Callable[[Request], Response]:
    """Adapt `endpoint(store, query)` to a router handler."""
    return lambda request: _json(endpoint(request.store, request.query))


def _item_route(endpoint: Endpoint) -> Callable[[Request], Response]:
    """Adapt `endpoint(store, id)` to a router handler."""
    return lambda request: _json(endpoint(request.store, request.params["id"]))


def _item_query_route(endpoint: Endpoint) -> Callable[[Request], Response]:
    """Adapt `endpoint(store, id, query)` to a router handler."""
    return lambda request: _json(endpoint(request.store, request.params["id"], request.query))


def _json(body: dict) -> Response:
    return Response(200, orjson.dumps(body))


def routes() -> list[tuple[str, str, Callable[[Request], Response], int]]:
    table: list[tuple[str, str, Callable[[Request], Response], int]] = [
        ("GET", "/users", _query_route(endpoints.list_users), V1_LIST_COST),
        ("GET", "/users/me", _query_route(endpoints.get_me), V1_ITEM_COST),
        ("GET", "/users/{id}", _item_route(endpoints.get_user), V1_ITEM_COST),
        ("GET", "/leads", _query_route(endpoints.list_leads), V1_LIST_COST),
        ("GET", "/leads/archived", _query_route(_archived_leads), V1_ARCHIVED_COST),
        ("GET", "/leads/{id}", _item_route(endpoints.get_lead), V1_ITEM_COST),
        ("GET", "/notes", _query_route(endpoints.list_notes), V1_LIST_COST),
        ("GET", "/notes/{id}", _item_route(endpoints.get_note), V1_ITEM_COST),
        ("GET", "/activityTypes", _query_route(endpoints.list_all("activity_types")), V1_LIST_COST),
        ("GET", "/currencies", _query_route(endpoints.list_all("currencies")), V1_LIST_COST),
        ("GET", "/leadLabels", _query_route(endpoints.list_all("lead_labels")), 10),
        ("GET", "/leadFields", _query_route(endpoints.list_lead_fields), V1_LIST_COST),
        ("GET", "/recents", _query_route(recents), V1_LIST_COST),
        ("GET", "/deals/archived", _query_route(_archived_deals), V1_ARCHIVED_COST),
        ("GET", "/callLogs", _query_route(endpoints.list_call_logs), V1_LIST_COST),
        ("GET", "/callLogs/{id}", _item_route(endpoints.get_call_log), V1_ITEM_COST),
        ("GET", "/goals/find", _query_route(endpoints.find_goals), V1_LIST_COST),
        ("GET", "/leadSources", _query_route(endpoints.list_lead_sources), 2),
        ("GET", "/deals/{id}/changelog", _item_query_route(endpoints.deal_changelog), CHANGELOG_COST),
        ("GET", "/noteFields", _query_route(collaboration.note_fields), V1_LIST_COST),
        ("GET", "/filters", _query_route(collaboration.list_filters), V1_LIST_COST),
        ("GET", "/files", _query_route(collaboration.list_files), V1_LIST_COST),
        ("GET", "/deals/{id}/flow", _item_query_route(collaboration.deal_flow), FLOW_COST),
        ("GET", "/deals/{id}/participants", _item_query_route(collaboration.deal_participants), 10),
        # deprecated, gone from the published spec: their last documented shape
        ("GET", "/pipelines", _query_route(collaboration.list_pipelines), V1_LIST_COST),
        ("GET", "/stages", _query_route(collaboration.list_stages), V1_LIST_COST),
        ("GET", "/deals/{id}/products", _item_query_route(collaboration.deal_products), V1_LIST_COST),
    ]
    for path_name in V1_FIELD_PATHS:
        table.append(("GET", f"/{path_name}", _query_route(partial(_fields, path_name)), V1_LIST_COST))
        if path_name != "activityFields":  # v1 has no single activity field endpoint
            table.append(
                ("GET", f"/{path_name}/{{id}}", _item_route(partial(_field, path_name)), V1_ITEM_COST)
            )
    for entity, path in DEPRECATED_LISTS.items():
        table.append(("GET", path, _query_route(partial(_records, entity)), V1_LIST_COST))
        table.append(("GET", f"{path}/{{id}}", _item_route(partial(_record, entity)), V1_ITEM_COST))
    return table


def _fields(path_name: str, store, query) -> dict:
    return endpoints.list_fields(store, path_name, query)


def _field(path_name: str, store, field_id: str) -> dict:
    return endpoints.get_field(store, path_name, field_id)


def _records(entity: str, store, query) -> dict:
    return endpoints.list_records(store, entity, query)


def _archived_leads(store, query) -> dict:
    return endpoints.list_leads(store, query, archived=True)


def _archived_deals(store, query) -> dict:
    return endpoints.list_records(store, "deals", query, archived=True)


def _record(entity: str, store, record_id: str) -> dict:
    return endpoints.get_record(store, entity, record_id)


def register(router: Router) -> None:
    """Add every v1 route to the simulator's router (both URL prefixes)."""
    for method, path, handler, cost in routes():
        router.add_v1(method, path, handler, cost)
