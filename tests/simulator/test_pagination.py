import base64

import orjson
import pytest

from simulator.control import Simulator
from tests.simulator.api import Api


@pytest.fixture(scope="module")
def sim():
    with Simulator.start(seed=11, counts={"deals": 230, "persons": 120, "activities": 150}) as sim:
        yield sim


@pytest.fixture(scope="module")
def api(sim):
    return Api(sim)


def listed_deals(sim):
    return {row["id"] for row in sim.truth("deals") if not row["is_deleted"] and not row["is_archived"]}


@pytest.mark.parametrize("sort_by", ["id", "update_time", "add_time"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_every_page_without_gaps_or_duplicates(sim, api, sort_by, direction):
    rows, pages = api.walk("/api/v2/deals", limit=17, sort_by=sort_by, sort_direction=direction)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids))
    assert set(ids) == listed_deals(sim)
    assert pages == -(-len(ids) // 17)
    keys = [(row[sort_by], row["id"]) if sort_by != "id" else row["id"] for row in rows]
    assert keys == sorted(keys, reverse=direction == "desc")


@pytest.mark.parametrize(
    "path", ["/api/v2/persons", "/api/v2/activities", "/api/v2/products", "/api/v2/stages"]
)
def test_other_entities_page_completely(sim, api, path):
    entity = path.rsplit("/", 1)[1]
    rows, _ = api.walk(path, limit=50, sort_by="update_time")
    assert sorted(row["id"] for row in rows) == [row["id"] for row in sim.truth(entity)]


def test_default_and_maximum_limit(api):
    assert len(api.data("/api/v2/deals")) == 100
    assert len(api.data("/api/v2/deals", limit=500)) > 200
    for bad in (0, 501, "ten"):
        response = api.get("/api/v2/deals", limit=bad)
        assert response.status_code == 400
        assert response.json()["success"] is False


def test_last_page_has_null_cursor_and_cursor_is_base64url_keyset(api):
    body = api.get("/api/v2/deals", limit=5, sort_by="update_time").json()
    cursor = body["additional_data"]["next_cursor"]
    keyset = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert keyset["id"] == body["data"][-1]["id"]
    everything = api.get("/api/v2/deals", limit=500).json()
    assert everything["additional_data"]["next_cursor"] is None


def test_broken_or_mismatched_cursor_is_a_400(api):
    cursor = api.get("/api/v2/deals", limit=5).json()["additional_data"]["next_cursor"]
    assert api.get("/api/v2/deals", cursor="!!not-a-cursor").status_code == 400
    assert api.get("/api/v2/deals", cursor=cursor, sort_by="update_time").status_code == 400


def test_records_updated_while_paging_by_update_time_are_not_lost():
    with Simulator.start(seed=5, counts={"deals": 120}) as sim:
        api = Api(sim)
        expected = listed_deals(sim)
        first = api.get("/api/v2/deals", limit=30, sort_by="update_time").json()
        seen = {row["id"] for row in first["data"]}
        unseen = sorted(expected - seen)
        sim.advance(1)
        sim.update("deals", unseen[0], {"title": "moved to the end"})
        sim.update("deals", min(seen), {"title": "already read, read again"})
        rows, _ = api.walk(
            "/api/v2/deals", limit=30, sort_by="update_time", cursor=first["additional_data"]["next_cursor"]
        )
        later = [row["id"] for row in rows]
        assert seen | set(later) == expected
        assert later[-2:] == sorted([unseen[0], min(seen)])


def test_ids_filter_and_owner_filter(sim, api):
    rows = api.data("/api/v2/deals", ids="3,1,2,999999")
    assert [row["id"] for row in rows] == [1, 2, 3]
    owner = rows[0]["owner_id"]
    owned = api.walk("/api/v2/deals", owner_id=owner, limit=500)[0]
    assert owned and all(row["owner_id"] == owner for row in owned)
    truth = [
        row
        for row in sim.truth("deals")
        if row["owner_id"] == owner and not row["is_deleted"] and not row["is_archived"]
    ]
    assert len(owned) == len(truth)


def test_stage_and_pipeline_filters_agree_with_relations(sim, api):
    stages = {stage["id"]: stage for stage in api.data("/api/v2/stages", limit=500)}
    for deal in api.data("/api/v2/deals", limit=500):
        assert stages[deal["stage_id"]]["pipeline_id"] == deal["pipeline_id"]
    stage_id = next(iter(stages))
    in_stage = api.data("/api/v2/deals", stage_id=stage_id, limit=500)
    assert all(deal["stage_id"] == stage_id for deal in in_stage)
    pipeline_stages = api.data("/api/v2/stages", pipeline_id=1)
    assert pipeline_stages and all(stage["pipeline_id"] == 1 for stage in pipeline_stages)


def test_deal_products_of_many_deals_page_by_cursor(sim, api):
    deal_ids = sorted({row["deal_id"] for row in sim.truth("deal_products")})[:40]
    rows, pages = api.walk("/api/v2/deals/products", deal_ids=",".join(map(str, deal_ids)), limit=7)
    expected = sorted(row["id"] for row in sim.truth("deal_products") if row["deal_id"] in deal_ids)
    assert sorted(row["id"] for row in rows) == expected
    assert pages > 1
    one = api.data(f"/api/v2/deals/{deal_ids[0]}/products")
    assert one and {row["deal_id"] for row in one} == {deal_ids[0]}
    assert api.get("/api/v2/deals/products").status_code == 400


def test_keyset_paging_matches_a_brute_force_sort_for_random_queries():
    """Every combination of sort, direction, window and page size, against sorting the truth."""
    import random

    from simulator.pagination import PageRequest, page

    sim = Simulator(seed=12, counts={"deals": 250})
    try:
        table = sim.store.tables["deals"]
        seconds = sorted(set(table.update_ts.values()))
        rng = random.Random(3)
        for _ in range(60):
            sort_by = rng.choice(["id", "update_time", "add_time"])
            descending = rng.random() < 0.5
            since = rng.choice([None, *seconds]) if rng.random() < 0.7 else None
            until = rng.choice([None, *seconds]) if rng.random() < 0.5 else None
            limit = rng.randint(1, 40)

            def key(rid, sort_by=sort_by):
                value = {"id": rid, "update_time": table.update_ts[rid], "add_time": table.add_ts[rid]}[
                    sort_by
                ]
                return (value, rid)

            expected = sorted(
                (
                    rid
                    for rid in table.rows
                    if (since is None or table.update_ts[rid] >= since)
                    and (until is None or table.update_ts[rid] < until)
                ),
                key=key,
                reverse=descending,
            )
            got, after = [], None
            while True:
                request = PageRequest(
                    sort_by=sort_by, descending=descending, limit=limit, after=after, since=since, until=until
                )
                ids, cursor = page(table, request)
                got.extend(ids)
                if cursor is None:
                    break
                after = key(ids[-1])
            assert got == expected, (sort_by, descending, since, until, limit)
    finally:
        sim.server.server_close()
