import threading

import pytest
import requests

from simulator.control import Simulator
from tests.simulator.api import Api

pytestmark = pytest.mark.slow

ENTITIES = (
    "deals",
    "persons",
    "organizations",
    "activities",
    "products",
    "pipelines",
    "stages",
    "deal_products",
    "users",
    "leads",
    "notes",
    "activity_types",
    "currencies",
    "lead_labels",
)


def test_same_seed_same_company_other_seed_other_company():
    counts = {"deals": 80, "persons": 50, "organizations": 30, "activities": 60, "leads": 20, "notes": 20}
    first, second, other = (Simulator(seed=seed, counts=counts) for seed in (5, 5, 6))
    try:
        for entity in ENTITIES:
            assert first.truth(entity) == second.truth(entity), entity
        assert first.truth("deals") != other.truth("deals")
        assert first.truth("persons") != other.truth("persons")
    finally:
        for sim in (first, second, other):
            sim.server.server_close()


def test_counts_and_relations_are_consistent(simulator):
    sim = simulator(seed=71, counts={"deals": 300, "persons": 150, "organizations": 60, "activities": 200})
    assert [sim.count(entity) for entity in ("deals", "persons", "organizations", "activities")] == [
        300,
        150,
        60,
        200,
    ]
    deals = sim.truth("deals")
    assert_deals_point_at_existing_records(sim, deals)
    null_people = sum(deal["person_id"] is None for deal in deals) / len(deals)
    assert 0.05 < null_people < 0.3
    deal_ids = {deal["id"] for deal in deals}
    for activity in sim.truth("activities"):
        assert activity["deal_id"] is None or activity["deal_id"] in deal_ids
    products = {row["id"]: row for row in sim.truth("products")}
    assert all(product["prices"] for product in products.values())
    for attachment in sim.truth("deal_products"):
        assert attachment["product_id"] in products and attachment["deal_id"] in deal_ids
    currencies = {deal["currency"] for deal in deals}
    assert {"EUR", "USD"} <= currencies


def assert_deals_point_at_existing_records(sim, deals: list[dict]) -> None:
    users = {row["id"] for row in sim.truth("users")}
    persons = {row["id"] for row in sim.truth("persons")}
    orgs = {row["id"] for row in sim.truth("organizations")}
    stages = {row["id"]: row["pipeline_id"] for row in sim.truth("stages")}
    for deal in deals:
        assert deal["owner_id"] in users
        assert stages[deal["stage_id"]] == deal["pipeline_id"]
        assert deal["person_id"] is None or deal["person_id"] in persons
        assert deal["org_id"] is None or deal["org_id"] in orgs
        assert (deal["won_time"] is not None) == (deal["status"] == "won")


def test_truth_matches_the_api_and_can_hide_deleted(simulator):
    sim = simulator(seed=72, counts={"persons": 60})
    api = Api(sim)
    served = api.walk("/api/v2/persons", limit=500)[0]
    assert served == sim.truth("persons")
    assert any(row["is_deleted"] for row in served)
    assert not any(row["is_deleted"] for row in sim.truth("persons", include_deleted=False))


def test_v1_truth_uses_the_v1_converters(simulator):
    sim = simulator(seed=73, counts={"deals": 5})
    v1 = sim.truth("deals", version="v1")
    assert len(v1) == 5 and "custom_fields" not in v1[0]


def test_stats_count_requests_and_tokens_per_endpoint(simulator):
    sim = simulator(seed=74, counts={"deals": 5})
    api = Api(sim)
    api.get("/api/v2/deals")
    api.get("/api/v2/deals")
    api.get("/api/v2/deals/1")
    api.get("/api/v2/stages")
    api.get("/v1/users")
    stats = sim.stats
    assert stats["endpoints"]["GET /api/v2/deals"] == {"requests": 2, "tokens": 20, "statuses": {200: 2}}
    assert stats["endpoints"]["GET /api/v2/deals/{id}"]["tokens"] == 1
    assert stats["endpoints"]["GET /api/v2/stages"]["tokens"] == 5
    assert stats["endpoints"]["GET /v1/users"]["requests"] == 1
    assert stats["requests"] == 5
    sim.reset_stats()
    assert sim.stats["requests"] == 0


def test_on_request_hook_can_mutate_while_a_sync_pages(simulator):
    sim = simulator(seed=75, counts={"deals": 50})
    api = Api(sim)
    seen = []

    def hook(info):
        seen.append(info.endpoint)
        if len(seen) == 2:
            sim.advance(1)
            sim.update("deals", 1, {"title": "changed mid-sync"})

    remove = sim.on_request(hook)
    rows, pages = api.walk("/api/v2/deals", limit=10, sort_by="update_time")
    remove()
    api.get("/api/v2/deals")
    assert len(seen) == pages
    assert set(seen) == {"GET /api/v2/deals"}
    assert rows[-1]["id"] == 1 and rows[-1]["title"] == "changed mid-sync"


def test_hooks_never_see_a_token_from_the_query(simulator):
    sim = simulator(seed=77, counts={"deals": 5})
    queries = []
    sim.on_request(lambda info: queries.append(info.query))
    requests.get(f"{sim.base_url}/api/v2/deals", params={"api_token": sim.token, "limit": 2}, timeout=5)
    assert queries == [{"limit": "2"}]


def test_concurrent_readers_and_writers(simulator):
    sim = simulator(seed=76, counts={"deals": 200})
    api = Api(sim)
    failures = []
    live = [row["id"] for row in sim.truth("deals", include_deleted=False)][:50]
    listed = {row["id"] for row in Api(sim).walk("/api/v2/deals", limit=500)[0]}

    def write():
        try:
            for index in range(100):
                sim.update("deals", live[index % len(live)], {"value": index})
        except Exception as error:
            failures.append(error)

    def read():
        try:
            rows, _ = Api(sim).walk("/api/v2/deals", limit=25, sort_by="update_time")
            assert {row["id"] for row in rows} == listed  # re-reads allowed, gaps not
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert api.get("/api/v2/deals").status_code == 200


def test_unknown_entity_and_counts_are_refused():
    with pytest.raises(ValueError):
        Simulator(seed=1, counts={"spaceships": 3})
