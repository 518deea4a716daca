"""API v2 endpoints of the Projects area (projects, archived projects, tasks, boards, phases,
project fields) and the per-deal / per-product lists added with it (installments, variations).

Lists page by id with the opaque keyset cursor; boards and phases are small unpaged lists, as
the spec declares them. Costs follow the spec's `x-token-cost`.
"""

from __future__ import annotations

from simulator.api_v2 import _comma_list, _int, _int_list, _page_request, _path_id, fields_list_handler
from simulator.errors import bad_request, not_found
from simulator.pagination import page
from simulator.routing import Request, Response, Router, ok, ok_raw
from simulator.store import Store

PROJECT_FILTERS = ("status", "phase_id")
TASK_FILTERS = ("is_done", "is_milestone", "assignee_id", "project_id", "parent_task_id")
INSTALLMENT_SORTS = ("id", "billing_date", "deal_id")


def _listing(
    request: Request, entity: str, accept=None, ids=None, sorts=("id",), cursor_only_when_more=False
) -> Response:
    store: Store = request.store
    page_request = _page_request(request.query, sorts)
    page_request.accept = accept
    page_request.ids = ids
    with store.lock:
        table = store.tables[entity]
        found, next_cursor = page(table, page_request)
        data = b"[" + b",".join(table.json_of(record_id) for record_id in found) + b"]"
    if cursor_only_when_more and next_cursor is None:
        return ok_raw(data)
    return ok_raw(data, {"next_cursor": next_cursor})


def _checks(query: dict, names: tuple[str, ...]):
    checks = []
    for name in names:
        raw = query.get(name)
        if raw in (None, ""):
            continue
        if name in ("is_done", "is_milestone"):
            wanted = raw.lower() in ("1", "true")
            checks.append(lambda record, name=name, wanted=wanted: record[name] is wanted)
        elif name == "status":
            statuses = set(_comma_list(raw))
            checks.append(lambda record, statuses=statuses: record["status"] in statuses)
        elif name == "assignee_id":
            user = _int(raw, name)
            checks.append(lambda record, user=user: user in record["assignee_ids"])
        else:
            value = _int(raw, name)
            checks.append(lambda record, name=name, value=value: record.get(name) == value)
    return checks


def projects_handler(archived: bool):
    def handle(request: Request) -> Response:
        checks = _checks(request.query, PROJECT_FILTERS)
        checks.append(lambda record: (record["archive_time"] is not None) is archived)
        return _listing(request, "projects", lambda record: all(check(record) for check in checks))

    return handle


def tasks_handler(request: Request) -> Response:
    checks = _checks(request.query, TASK_FILTERS)
    return _listing(
        request, "tasks", (lambda record: all(check(record) for check in checks)) if checks else None
    )


def item_handler(entity: str):
    def handle(request: Request) -> Response:
        with request.store.lock:
            return ok(request.store.get(entity, _path_id(request)))

    return handle


def boards_handler(request: Request) -> Response:
    return _whole(request.store, "boards")


def phases_handler(request: Request) -> Response:
    board_id = request.query.get("board_id")
    if board_id in (None, ""):
        raise bad_request("board_id is required")
    wanted = _int(board_id, "board_id")
    return _whole(request.store, "phases", lambda record: record["board_id"] == wanted)


def _whole(store: Store, entity: str, accept=None) -> Response:
    with store.lock:
        table = store.tables[entity]
        rows = [table.rows[record_id] for record_id in table.by_id]
        return ok([row for row in rows if accept is None or accept(row)])


def project_field_handler(request: Request) -> Response:
    with request.store.lock:
        field = request.store.fields["project_fields"].get(request.params["field_code"])
        if field is None:
            raise not_found("Field")
        return ok(field)


def installments_handler(request: Request) -> Response:
    """GET /deals/installments?deal_ids=...: the installments of many deals in one call. The spec
    declares `cursor` and `limit` but no `additional_data`: it is sent only when a next page exists."""
    deal_ids = _int_list(request.query.get("deal_ids"), "deal_ids")
    if not deal_ids:
        raise bad_request("deal_ids is required")
    if len(deal_ids) > 100:
        raise bad_request("deal_ids accepts at most 100 ids")
    wanted = set(deal_ids)
    return _listing(
        request,
        "deal_installments",
        lambda record: record["deal_id"] in wanted,
        sorts=INSTALLMENT_SORTS,
        cursor_only_when_more=True,
    )


def variations_handler(request: Request) -> Response:
    product_id = _path_id(request)
    with request.store.lock:
        request.store.get("products", product_id)
    return _listing(request, "product_variations", lambda record: record["product_id"] == product_id)


def register(router: Router) -> None:
    router.add_v2("GET", "/projects", projects_handler(archived=False), 10)
    router.add_v2("GET", "/projects/archived", projects_handler(archived=True), 10)
    router.add_v2("GET", "/projects/{id}", item_handler("projects"), 1)
    router.add_v2("GET", "/tasks", tasks_handler, 10)
    router.add_v2("GET", "/tasks/{id}", item_handler("tasks"), 1)
    router.add_v2("GET", "/boards", boards_handler, 10)
    router.add_v2("GET", "/boards/{id}", item_handler("boards"), 10)
    router.add_v2("GET", "/phases", phases_handler, 10)
    router.add_v2("GET", "/phases/{id}", item_handler("phases"), 10)
    router.add_v2("GET", "/projectFields", fields_list_handler("project_fields"), 10)
    router.add_v2("GET", "/projectFields/{field_code}", project_field_handler, 1)
    router.add_v2("GET", "/deals/installments", installments_handler, 10)
    router.add_v2("GET", "/products/{id}/variations", variations_handler, 10)
