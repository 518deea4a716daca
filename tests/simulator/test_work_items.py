"""Projects, tasks, boards, phases, project fields, installments, variations, call logs, goals and
lead sources: non-empty by default, served from the truth with the spec's paging and costs."""

from __future__ import annotations

from tests.simulator.api import Api


def _walk(api: Api, path: str, **params) -> list[dict]:
    rows, cursor = [], None
    while True:
        body = api.get(path, limit=7, **params, **({"cursor": cursor} if cursor else {})).json()
        rows += body["data"]
        cursor = (body.get("additional_data") or {}).get("next_cursor")
        if not cursor:
            return rows


def _by_id(rows: list[dict]) -> dict:
    return {row["id"]: row for row in rows}


def test_v2_lists_serve_the_truth(simulator):
    sim = simulator(seed=4)
    api = Api(sim)
    projects = sim.truth("projects")
    assert _walk(api, "/api/v2/projects") == [p for p in projects if p["archive_time"] is None]
    assert _walk(api, "/api/v2/projects/archived") == [p for p in projects if p["archive_time"]]
    assert _walk(api, "/api/v2/projects/archived") and _walk(api, "/api/v2/projects")
    assert _walk(api, "/api/v2/tasks") == sim.truth("tasks") != []
    assert api.data("/api/v2/boards") == sim.truth("boards") != []
    phases = [api.data("/api/v2/phases", board_id=board["id"]) for board in sim.truth("boards")]
    assert [row for rows in phases for row in rows] == sim.truth("phases")
    assert api.get("/api/v2/phases").status_code == 400  # board_id is required
    fields = _walk(api, "/api/v2/projectFields")
    assert fields == sim.fields("project_fields")
    assert {f["field_type"] for f in fields if f["is_custom_field"]} >= {"enum", "set", "monetary"}
    custom_codes = {f["field_code"] for f in fields if f["is_custom_field"]}
    assert all(set(project["custom_fields"]) == custom_codes for project in projects)

    installments = sim.truth("deal_installments")
    deal_ids = sorted({row["deal_id"] for row in installments})[:100]
    served = _walk(api, "/api/v2/deals/installments", deal_ids=",".join(map(str, deal_ids)))
    assert served == [row for row in installments if row["deal_id"] in set(deal_ids)] != []

    variations = sim.truth("product_variations")
    product_id = variations[0]["product_id"]
    assert _walk(api, f"/api/v2/products/{product_id}/variations") == [
        row for row in variations if row["product_id"] == product_id
    ]
    assert api.get("/api/v2/products/999999/variations").status_code == 404


def test_v1_lists_serve_the_truth(simulator):
    sim = simulator(seed=4)
    api = Api(sim)
    calls, start = [], 0
    while True:
        body = api.get("/v1/callLogs", start=start, limit=25).json()
        calls += body["data"]
        pagination = body["additional_data"]["pagination"]
        if not pagination["more_items_in_collection"]:
            break
        start = pagination["next_start"]
    assert _by_id(calls) == _by_id(sim.truth("call_logs")) and len(calls) == 60
    goals = api.data("/v1/goals/find")["goals"] + api.data("/v1/goals/find", is_active="false")["goals"]
    assert _by_id(goals) == _by_id(sim.truth("goals"))
    assert all(goal["is_active"] for goal in api.data("/v1/goals/find")["goals"])
    assert [source["name"] for source in api.data("/v1/leadSources")]


def test_costs_follow_the_spec(simulator):
    sim = simulator(seed=4, counts={"deals": 20})
    api = Api(sim)
    for path, params in (
        ("/api/v2/projects", {}),
        ("/api/v2/tasks", {}),
        ("/api/v2/boards", {}),
        ("/api/v2/projectFields", {}),
        ("/v1/callLogs", {}),
        ("/v1/goals/find", {}),
        ("/v1/leadSources", {}),
    ):
        assert api.get(path, **params).status_code == 200
    endpoints = sim.stats["endpoints"]
    assert {name: endpoints[name]["tokens"] for name in endpoints} == {
        "GET /api/v2/projects": 10,
        "GET /api/v2/tasks": 10,
        "GET /api/v2/boards": 10,
        "GET /api/v2/projectFields": 10,
        "GET /v1/callLogs": 20,
        "GET /v1/goals/find": 20,
        "GET /v1/leadSources": 2,
    }
