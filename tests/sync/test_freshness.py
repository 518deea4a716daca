"""Freshness tiers and the change probe: a run that finds nothing new costs at most 80 tokens, and
every kind of upstream change is still seen: records, stages, pipelines, users and activity types
by the next run (the probe reports them), field-list changes no record shows within
`slow_refresh_minutes`. Every probe-driven skip is checked: after each run the whole database is
compared with what the simulator's lists hold (`assert_matches_truth`)."""

from __future__ import annotations

import pytest

from sources.pipedrive.errors import ApiError
from tests.sync.helpers import FIELD_ENTITIES, assert_matches_truth, mismatches, sync

COUNTS = {"deals": 120, "persons": 80, "organizations": 40, "activities": 100, "products": 20,
          "deal_products": 60, "leads": 30, "notes": 40, "users": 6}  # fmt: skip
NO_OP_TOKEN_LIMIT = 80
SLOW_REFRESH_MINUTES = 60


@pytest.fixture
def synced(simulator, tmp_path):
    """An account synced once (so the next runs probe), and a runner returning (result, tokens)."""
    sim = simulator(seed=41, counts=COUNTS, plan="premium")

    def run(**options):
        before = sim.stats["tokens"]
        result = sync(sim, tmp_path, slow_refresh_minutes=SLOW_REFRESH_MINUTES, **options)
        assert result.complete, result.message
        return result, sim.stats["tokens"] - before

    run()  # the first run reads everything; it has no probe to say what it saw at its last second
    sim.advance(30)
    run()  # so records changed in that second are read once more here
    sim.advance(30)
    return sim, run


def test_a_run_that_finds_nothing_new_costs_at_most_80_tokens(synced, tmp_path):
    sim, run = synced
    result, tokens = run()
    # the probe (20), leads (20) and archived leads (40): the only lists /v1/recents cannot vouch
    # for; the account was checked by an earlier run with the same address and token
    assert tokens == result.tokens <= NO_OP_TOKEN_LIMIT
    assert sorted(result.requests_per_endpoint) == ["/v1/leads", "/v1/leads/archived", "/v1/recents"]
    assert not result.rows_per_table.get("deals") and not result.rows_per_table.get("deal_fields")
    assert_matches_truth(sim, tmp_path)


def test_other_credentials_check_the_account_again(synced):
    sim, run = synced
    result, _ = run(api_token=None, oauth_access_token=sim.token)  # same account, other credentials
    assert result.requests_per_endpoint["/v1/users/me"] == 1
    result, _ = run(api_token=None, oauth_access_token=sim.token)  # now known: not checked again
    assert "/v1/users/me" not in result.requests_per_endpoint


def test_an_address_that_stopped_answering_fails_clearly_without_the_account_check(synced, tmp_path):
    sim, run = synced
    sim.stop()
    with pytest.raises(ApiError, match=f"Cannot reach {sim.base_url}"):
        run()


def _first_live(sim, entity):
    return next(row for row in sim.truth(entity, include_deleted=False) if not row.get("is_archived"))


RECORD_CHANGES = {
    "deal updated": lambda sim: sim.update("deals", _first_live(sim, "deals")["id"], {"title": "Retitled"}),
    "deal created": lambda sim: sim.create("deals", {"title": "Brand new", "value": 5}),
    "deal archived": lambda sim: sim.archive("deals", _first_live(sim, "deals")["id"]),
    "deal deleted": lambda sim: sim.delete("deals", _first_live(sim, "deals")["id"]),
    "person updated": lambda sim: sim.update("persons", _first_live(sim, "persons")["id"], {"name": "Ada"}),
    "person deleted": lambda sim: sim.delete("persons", _first_live(sim, "persons")["id"]),
    "organization updated": lambda sim: sim.update(
        "organizations", _first_live(sim, "organizations")["id"], {"name": "Renamed Ltd"}
    ),
    "activity created": lambda sim: sim.create("activities", {"subject": "Call back", "type": "call"}),
    "product updated": lambda sim: sim.update(
        "products", _first_live(sim, "products")["id"], {"name": "Gizmo"}
    ),
    "lead updated": lambda sim: sim.update("leads", sim.truth("leads")[0]["id"], {"title": "Lead retitled"}),
    "lead archived": lambda sim: sim.archive("leads", sim.truth("leads")[0]["id"]),
    "stage renamed": lambda sim: sim.update("stages", sim.truth("stages")[0]["id"], {"name": "Negotiation"}),
    "stage added": lambda sim: sim.create("stages", {"name": "Signed", "pipeline_id": 1}),
    "pipeline renamed": lambda sim: sim.update(
        "pipelines", sim.truth("pipelines")[0]["id"], {"name": "Sales"}
    ),
    "user renamed": lambda sim: sim.update("users", sim.truth("users")[1]["id"], {"name": "Grace Hopper"}),
}


@pytest.mark.parametrize("change", list(RECORD_CHANGES))
def test_a_record_change_is_seen_by_the_next_run(synced, tmp_path, change):
    sim, run = synced
    RECORD_CHANGES[change](sim)
    sim.advance(5)
    result, tokens = run()
    assert_matches_truth(sim, tmp_path)
    assert result.requests_per_endpoint["/v1/recents"] == 1
    assert "/api/v2/personFields" not in result.requests_per_endpoint  # the rest stayed unread


def test_a_new_custom_field_used_by_a_record_is_read_at_once(synced, tmp_path):
    sim, run = synced
    field = sim.add_field("deal_fields", "Renewal date", "date")
    sim.update(
        "deals", _first_live(sim, "deals")["id"], {"custom_fields": {field["field_code"]: "2026-07-01"}}
    )
    sim.advance(5)
    result, _ = run()
    assert "/api/v2/dealFields" in result.requests_per_endpoint  # the record named a key we did not know
    assert_matches_truth(sim, tmp_path)


def _a_custom_field(sim, field_type=None):
    return next(
        field for field in sim.fields("deal_fields")
        if field["is_custom_field"] and (field_type is None or field["field_type"] == field_type)
    )  # fmt: skip


FIELD_CHANGES = {
    "field added": lambda sim: sim.add_field("person_fields", "Nickname", "varchar"),
    "field renamed": lambda sim: sim.rename_field(
        "deal_fields", _a_custom_field(sim)["field_code"], "Renamed"
    ),
    "field deleted": lambda sim: sim.delete_field("organization_fields", next(
        field for field in sim.fields("organization_fields") if field["is_custom_field"])["field_code"]),
    "option added": lambda sim: sim.add_options(
        "deal_fields", _a_custom_field(sim, "enum")["field_code"], ["New"]
    ),
    "option renamed": lambda sim: sim.rename_option(
        "deal_fields",
        (field := _a_custom_field(sim, "enum"))["field_code"],
        field["options"][0]["id"],
        "Renamed",
    ),
    "option deleted": lambda sim: sim.delete_option(
        "deal_fields", (field := _a_custom_field(sim, "set"))["field_code"], field["options"][-1]["id"]
    ),
}  # fmt: skip


@pytest.mark.parametrize("change", list(FIELD_CHANGES))
def test_a_field_change_no_record_shows_is_seen_within_the_refresh_interval(synced, tmp_path, change):
    sim, run = synced
    FIELD_CHANGES[change](sim)
    sim.advance(SLOW_REFRESH_MINUTES * 60)
    run()
    problems = [
        problem
        for field_entity in FIELD_ENTITIES
        for problem in mismatches(tmp_path, field_entity, sim.fields(field_entity), key="field_code")
    ]
    assert not problems, problems


def test_reference_lists_every_interval_and_every_list_every_day(synced, tmp_path):
    """Lists the probe cannot see are read every slow_refresh_minutes; those it vouches for at least
    every 24 intervals, so whatever /v1/recents might leave out is seen within a day."""
    sim, run = synced
    sim.advance(SLOW_REFRESH_MINUTES * 60)
    hourly, _ = run()
    assert {"/api/v2/dealFields", "/v1/currencies", "/v1/leadLabels"} <= set(hourly.requests_per_endpoint)
    assert "/api/v2/deals" not in hourly.requests_per_endpoint
    sim.advance(24 * SLOW_REFRESH_MINUTES * 60)
    daily, _ = run()
    assert {"/api/v2/deals", "/api/v2/deals/archived", "/api/v2/stages", "/v1/users"} <= set(
        daily.requests_per_endpoint
    )
    sim.advance(30)
    _, tokens = run()
    assert tokens <= NO_OP_TOKEN_LIMIT  # and then cheap again
    assert_matches_truth(sim, tmp_path)


def test_a_month_without_runs_falls_back_to_reading_every_list(synced, tmp_path):
    """/v1/recents serves one month at most: beyond that the probe cannot vouch for anything."""
    sim, run = synced
    sim.advance(40 * 24 * 3600)
    sim.update("deals", _first_live(sim, "deals")["id"], {"title": "After the holidays"})
    result, _ = run(max_budget_share=1.0)
    assert {"/api/v2/deals", "/api/v2/persons", "/v1/notes"} <= set(result.requests_per_endpoint)
    assert_matches_truth(sim, tmp_path)


@pytest.mark.parametrize("options", [{"resources": ["persons"]}, {"full_refresh": True}])
def test_resources_and_full_refresh_ignore_the_tiers(synced, tmp_path, options):
    sim, run = synced
    result, _ = run(**options)
    assert "/api/v2/persons" in result.requests_per_endpoint
    assert "/v1/recents" not in result.requests_per_endpoint
