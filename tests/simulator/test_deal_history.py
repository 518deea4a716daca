"""Deal history in the simulator: `/v1/deals/{id}/changelog` pages every change, newest first,
with the spec's cost; seeded deals carry a past that ends in their current state."""

from __future__ import annotations

from tests.simulator.api import Api


def _changelog(api: Api, deal_id: int, limit: int = 2) -> list[dict]:
    rows, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = api.get(f"/v1/deals/{deal_id}/changelog", **params)
        assert response.status_code == 200, response.text
        body = response.json()
        rows += body["data"]
        cursor = body["additional_data"]["next_cursor"]
        if not cursor:
            return rows


def test_seeded_past_ends_in_the_current_state(simulator):
    sim = simulator(seed=5, counts={"deals": 120})
    stages = {stage["id"]: stage for stage in sim.truth("stages")}
    moved = 0
    for deal in sim.truth("deals"):
        log = sim.deal_changelog(deal["id"])
        assert [entry["time"] for entry in log] == sorted((entry["time"] for entry in log), reverse=True)
        stage_moves = [entry for entry in log if entry["field_key"] == "stage_id"]
        if stage_moves:
            moved += 1
            assert stage_moves[0]["new_value"] == str(deal["stage_id"])
            # each move starts where the previous one (older, later in the list) ended
            for newer, older in zip(stage_moves, stage_moves[1:], strict=False):
                assert newer["old_value"] == older["new_value"]
            assert {stages[int(entry["old_value"])]["pipeline_id"] for entry in stage_moves} == {
                deal["pipeline_id"]
            }
            assert stage_moves[0]["time"].replace(" ", "T") + "Z" == deal["stage_change_time"]
        for key, current in (("value", deal["value"]), ("user_id", deal["owner_id"])):
            latest = next((entry for entry in log if entry["field_key"] == key), None)
            if latest:
                assert float(latest["new_value"]) == float(current)
        add = deal["add_time"].replace("T", " ").rstrip("Z")
        assert all(add <= entry["time"] for entry in log)
    assert moved > 30  # a plausible share of the account moved through stages before now


def test_every_change_is_recorded_and_paged_with_its_cost(simulator):
    sim = simulator(seed=5, counts={"deals": 30})
    api = Api(sim)
    deal = sim.truth("deals")[3]
    before = _changelog(api, deal["id"])
    later_stage = next(s["id"] for s in sim.truth("stages") if s["id"] != deal["stage_id"])
    sim.advance(60)
    sim.update("deals", deal["id"], {"stage_id": later_stage, "value": 777})  # control API: "app"
    sim.advance(60)
    response = api.request("PATCH", f"/api/v2/deals/{deal['id']}", json={"title": "Renamed"})  # HTTP: "api"
    assert response.status_code == 200
    sim.archive("deals", deal["id"])
    sim.reset_stats()
    after = _changelog(api, deal["id"], limit=1)
    assert after == sim.deal_changelog(deal["id"])
    new = after[: len(after) - len(before)]
    assert after[len(new) :] == before
    pipeline_id = sim.get("deals", deal["id"])["pipeline_id"]
    expected = [
        ("is_archived", "false", "true", "app"),
        ("title", deal["title"], "Renamed", "api"),
        ("stage_id", str(deal["stage_id"]), str(later_stage), "app"),
        *(
            [("pipeline_id", str(deal["pipeline_id"]), str(pipeline_id), "app")]
            if pipeline_id != deal["pipeline_id"]
            else []
        ),
        ("value", str(deal["value"]).removesuffix(".0"), "777", "app"),
    ]
    assert [(e["field_key"], e["old_value"], e["new_value"], e["change_source"]) for e in new] == expected
    endpoint = sim.stats["endpoints"]["GET /v1/deals/{id}/changelog"]
    assert endpoint["tokens"] == 20 * endpoint["requests"] == 20 * len(after)


def test_a_change_while_paging_never_shifts_unread_entries(simulator):
    sim = simulator(seed=5, counts={"deals": 30})
    api = Api(sim)
    deal_id = next(d["id"] for d in sim.truth("deals") if len(sim.deal_changelog(d["id"])) >= 3)
    expected = sim.deal_changelog(deal_id)
    first = api.get(f"/v1/deals/{deal_id}/changelog", limit=1).json()
    sim.update("deals", deal_id, {"title": "Changed while paging"})
    rest = _changelog_from(api, deal_id, first["additional_data"]["next_cursor"])
    assert first["data"] + rest == expected


def _changelog_from(api: Api, deal_id: int, cursor: str) -> list[dict]:
    rows = []
    while cursor:
        body = api.get(f"/v1/deals/{deal_id}/changelog", limit=1, cursor=cursor).json()
        rows += body["data"]
        cursor = body["additional_data"]["next_cursor"]
    return rows


def test_deals_created_later_have_no_seeded_past_and_unknown_deals_are_404(simulator):
    sim = simulator(seed=5, counts={"deals": 10})
    api = Api(sim)
    created = sim.create("deals", {"title": "Fresh"})
    assert sim.deal_changelog(created["id"]) == []
    sim.update("deals", created["id"], {"status": "won"})
    assert [(e["field_key"], e["old_value"], e["new_value"]) for e in sim.deal_changelog(created["id"])] == [
        ("status", "open", "won")
    ]
    assert api.get("/v1/deals/999999/changelog").status_code == 404
    assert api.get(f"/v1/deals/{created['id']}/changelog", cursor="garbage").status_code == 400
