"""Endpoints and details that clients written for the real Pipedrive rely on: note fields, filters,
files, a deal's flow and participants, followers, the deprecated v1 pipelines/stages/deal products,
recents paging and items, field objects without options, literal paths before `{id}`."""

from __future__ import annotations

import pytest

from simulator.control import Simulator
from tests.simulator.api import Api

COUNTS = {
    "users": 5,
    "pipelines": 2,
    "organizations": 20,
    "persons": 40,
    "products": 8,
    "deals": 60,
    "deal_products": 30,
    "activities": 50,
    "leads": 5,
    "notes": 30,
}


@pytest.fixture(scope="module")
def sim():
    with Simulator.start(seed=21, counts=COUNTS) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def api(sim):
    return Api(sim)


def v1_walk(api: Api, path: str, limit: int, **params) -> tuple[list, int]:
    """Every item of a v1 list, following `additional_data.pagination.next_start`."""
    items, pages, start = [], 0, 0
    while True:
        body = api.get(path, start=start, limit=limit, **params).json()
        items += body["data"] or []
        pages += 1
        pagination = body["additional_data"]["pagination"]
        if not pagination["more_items_in_collection"]:
            assert "next_start" not in pagination
            return items, pages
        start = pagination["next_start"]
        assert pages < 100, "next_start does not move"


def test_field_objects_leave_options_out_when_a_field_has_none(api):
    for path in ("/v1/dealFields", "/v1/personFields", "/v1/leadFields", "/v1/noteFields"):
        fields = api.data(path)
        assert all(field.get("options", "absent") is not None for field in fields), path
        assert any("options" in field for field in fields) and any("options" not in field for field in fields)


def test_recents_pages_follow_next_start_to_the_end(sim, api):
    since = "2000-01-01 00:00:00"
    everything = api.data("/v1/recents", since_timestamp=since, limit=500)
    items, pages = v1_walk(api, "/v1/recents", 7, since_timestamp=since)
    assert pages > 1 and len(items) == len(everything)
    assert [(item["item"], item["id"]) for item in items] == [
        (item["item"], item["id"]) for item in everything
    ]


def test_recents_answer_project_and_task_items_outside_strict_mode(simulator):
    sim = simulator(seed=21, counts=COUNTS, strict=False)
    api = Api(sim)
    sim.update("projects", sim.truth("projects")[0]["id"], {"title": "Moved today"})
    since = "2000-01-01 00:00:00"
    body = api.get("/v1/recents", since_timestamp=since, items="project,task", limit=500)
    assert body.status_code == 200
    kinds = {item["item"] for item in body.json()["data"]}
    assert "project" in kinds and kinds <= {"project", "task"}
    sim.strict = True  # the spec's `items` enum has neither: a strict simulator refuses them
    assert api.get("/v1/recents", since_timestamp=since, items="task").status_code == 400


def test_note_fields_filters_and_files(sim, api):
    assert [field["key"] for field in api.data("/v1/noteFields")][0] == "content"
    filters = api.data("/v1/filters")
    assert {row["type"] for row in filters} >= {"deals", "org", "people"}
    assert {row["type"] for row in api.data("/v1/filters", type="deals")} == {"deals"}
    files, pages = v1_walk(api, "/v1/files", 5)
    assert pages > 1 and sorted(row["id"] for row in files) == [row["id"] for row in sim.truth("files")]
    capped = api.get("/v1/files", limit=500).json()["additional_data"]["pagination"]
    assert capped["limit"] == 100  # the documented maximum
    newest = api.data("/v1/files", sort="update_time DESC", limit=100)
    assert [row["update_time"] for row in newest] == sorted(
        (row["update_time"] for row in newest), reverse=True
    )


def test_a_deals_participants_and_followers(sim, api):
    participant = sim.truth("deal_participants")[-1]
    rows = api.data(f"/v1/deals/{participant['deal_id']}/participants")
    assert participant["person_id"] in {row["person"]["id"] for row in rows}
    assert all(row["related_item_id"] == participant["deal_id"] for row in rows)
    for entity, item_type in (("deals", "deal"), ("persons", "person"), ("organizations", "organization")):
        expected = [row for row in sim.truth("followers") if row["item_type"] == item_type]
        record_id = expected[0]["item_id"]
        mine = [row["user_id"] for row in expected if row["item_id"] == record_id]
        rows, _ = api.walk(f"/api/v2/{entity}/{record_id}/followers", limit=1)
        assert [row["user_id"] for row in rows] == mine
    assert api.get("/api/v2/products/999999/followers").status_code == 404


def test_a_deals_flow_is_newest_first_and_filters_by_item(sim, api):
    deal_id = max(sim.truth("files"), key=lambda row: row["deal_id"])["deal_id"]
    sim.update("deals", deal_id, {"title": "Renamed for the flow"})
    items, pages = v1_walk(api, f"/v1/deals/{deal_id}/flow", 3)
    assert pages > 1
    assert [item["timestamp"] for item in items] == sorted(
        (item["timestamp"] for item in items), reverse=True
    )
    assert items[0]["object"] == "dealChange" and items[0]["data"]["field_key"] == "title"
    assert {"file", "dealChange"} <= {item["object"] for item in items}
    only_files = api.data(f"/v1/deals/{deal_id}/flow", items="file")
    assert only_files and {item["object"] for item in only_files} == {"file"}


def test_deprecated_v1_pipelines_stages_and_deal_products(sim, api):
    pipelines = api.data("/v1/pipelines")
    assert [row["id"] for row in pipelines] == [
        row["id"] for row in sim.truth("pipelines", include_deleted=False)
    ]
    stages = api.data("/v1/stages", pipeline_id=pipelines[0]["id"])
    assert stages and {row["pipeline_id"] for row in stages} == {pipelines[0]["id"]}
    assert stages[0]["pipeline_name"] == pipelines[0]["name"]
    attachment = sim.truth("deal_products")[0]
    body = api.get(f"/v1/deals/{attachment['deal_id']}/products", include_product_data=1).json()
    ids = [row["id"] for row in sim.truth("deal_products") if row["deal_id"] == attachment["deal_id"]]
    assert sorted(row["id"] for row in body["data"]) == sorted(ids)
    assert body["data"][0]["product"]["id"] == body["data"][0]["product_id"]
    assert body["additional_data"]["products_quantity_total"] == sum(row["quantity"] for row in body["data"])


def test_literal_paths_are_not_taken_for_ids(api):
    response = api.get("/v1/deals/search", term="anything")
    assert response.status_code == 404
    assert "not found" not in response.json()["error"].lower()  # not "Deal not found": not a lookup
    assert api.get("/api/v2/deals/archived", limit=1).ok  # served literal paths still win
