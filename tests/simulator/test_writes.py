import pytest

from simulator.clock import iso
from tests.simulator.api import Api

CREATES = {
    "deals": {"title": "New deal", "value": 1000, "currency": "USD"},
    "persons": {
        "name": "Ada Lovelace",
        "emails": [{"value": "ada@example.com", "primary": True, "label": "work"}],
    },
    "organizations": {"name": "Analytical Engines Ltd"},
    "activities": {"subject": "Call Ada", "type": "call", "due_date": "2026-06-02"},
    "products": {"name": "Difference engine", "prices": [{"currency": "GBP", "price": 100.0}]},
    "pipelines": {"name": "Expansion"},
    "stages": {"name": "Kick-off", "pipeline_id": 1},
}
CHANGES = {
    "deals": {"title": "Renamed deal"},
    "persons": {"name": "Ada King"},
    "organizations": {"name": "Engines plc"},
    "activities": {"done": True},
    "products": {"name": "Analytical engine"},
    "pipelines": {"name": "Expansion 2"},
    "stages": {"name": "Kick-off call"},
}


@pytest.fixture
def sim(simulator):
    return simulator(seed=81, counts={"deals": 20, "persons": 20, "organizations": 10, "activities": 10})


@pytest.mark.parametrize("entity", sorted(CREATES))
def test_create_update_delete_over_http(sim, entity):
    api = Api(sim)
    sim.advance(60)
    created = api.request("POST", f"/api/v2/{entity}", json=CREATES[entity])
    assert created.status_code in (200, 201), created.text
    record = created.json()["data"]
    assert record["add_time"] == record["update_time"] == iso(sim.now())
    for key, value in CREATES[entity].items():
        assert record[key] == value
    assert api.data(f"/api/v2/{entity}/{record['id']}") == record

    sim.advance(5)
    changed = api.request("PATCH", f"/api/v2/{entity}/{record['id']}", json=CHANGES[entity]).json()["data"]
    for key, value in CHANGES[entity].items():
        assert changed[key] == value
    assert changed["update_time"] == iso(sim.now()) and changed["add_time"] == record["add_time"]

    sim.advance(5)
    deleted = api.request("DELETE", f"/api/v2/{entity}/{record['id']}")
    assert deleted.json() == {"success": True, "data": {"id": record["id"]}}
    truth = {row["id"]: row for row in sim.truth(entity)}[record["id"]]
    assert truth["is_deleted"] is True and truth["update_time"] == iso(sim.now())


def test_deal_rules_stage_moves_pipeline_and_status_sets_times(sim):
    api = Api(sim)
    stages = api.data("/api/v2/stages", limit=500)
    other = next(stage for stage in stages if stage["pipeline_id"] != 1)
    deal = api.request("POST", "/api/v2/deals", json={"title": "Moving"}).json()["data"]
    assert deal["pipeline_id"] == 1 and deal["status"] == "open" and deal["owner_id"] == 1
    sim.advance(30)
    moved = api.request("PATCH", f"/api/v2/deals/{deal['id']}", json={"stage_id": other["id"]}).json()["data"]
    assert moved["pipeline_id"] == other["pipeline_id"] and moved["stage_change_time"] == iso(sim.now())
    won = api.request("PATCH", f"/api/v2/deals/{deal['id']}", json={"status": "won"}).json()["data"]
    assert won["won_time"] == won["close_time"] == iso(sim.now()) and won["lost_time"] is None


def test_write_errors_use_pipedrive_error_bodies(sim):
    api = Api(sim)
    cases = [
        ("POST", "/api/v2/deals", {}),
        ("POST", "/api/v2/deals", {"title": "x", "person_id": 999_999}),
        ("POST", "/api/v2/deals", {"title": "x", "no_such_key": 1}),
        ("PATCH", "/api/v2/deals/1", {"status": "maybe"}),
    ]
    for method, path, body in cases:
        response = api.request(method, path, json=body)
        assert response.status_code == 400, (path, body)
        assert response.json()["success"] is False and response.json()["error"]
    assert api.request("PATCH", "/api/v2/deals/999999", json={"title": "x"}).status_code == 404
    assert api.request("POST", "/api/v2/deals", data=b"{not json").status_code == 400


def test_products_attach_to_deals_and_count(sim):
    api = Api(sim)
    before = api.data("/api/v2/deals/3", include_fields="products_count")["products_count"]
    response = api.request(
        "POST", "/api/v2/deals/3/products", json={"product_id": 1, "item_price": 10, "quantity": 3}
    )
    assert response.status_code == 201
    attachment = response.json()["data"]
    assert attachment["sum"] == 30 and attachment["deal_id"] == 3
    assert api.data("/api/v2/deals/3", include_fields="products_count")["products_count"] == before + 1
    patched = api.request("PATCH", f"/api/v2/deals/3/products/{attachment['id']}", json={"quantity": 5})
    assert patched.json()["data"]["sum"] == 50
    assert (
        api.request("PATCH", f"/api/v2/deals/4/products/{attachment['id']}", json={"quantity": 1}).status_code
        == 404
    )


def test_control_api_writes_match_http_effects(sim):
    created = sim.create("organizations", {"name": "Control Co"})
    assert Api(sim).data(f"/api/v2/organizations/{created['id']}")["name"] == "Control Co"
    lead = sim.create("leads", {"title": "Control lead"})
    assert sim.get("leads", lead["id"])["title"] == "Control lead"
    assert set(lead["custom_fields"]) == {
        field["field_code"] for field in sim.fields("deal_fields") if field["is_custom_field"]
    }
