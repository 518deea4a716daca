"""Deletes, whatever the lists do with them. The specs do not say whether Pipedrive's v2 lists of
persons, organizations, activities and products keep soft-deleted records (`flagged`) or leave
them out (`hidden`); against both, a sync ends with every deleted record flagged `is_deleted` in
raw and absent from the readable views. Where a list hides deletes, the scheduled reconciliation
(`reconcile_every_hours`, on the API's clock) finds them."""

from __future__ import annotations

import pytest

from sources.pipedrive.errors import ConfigurationError
from tests.reliability.helpers import assert_views_consistent, build_views
from tests.sync.helpers import raw_rows, sync

COUNTS = {"deals": 120, "persons": 80, "organizations": 30, "activities": 60, "products": 20, "leads": 10}
HIDABLE = ("persons", "organizations", "activities", "products")
RECONCILE_ENV = "SOURCES__PIPEDRIVE__RECONCILE_EVERY_HOURS"
DAY = 86_400


def delete_one_of_each(sim) -> dict[str, int]:
    deleted = {}
    for entity in (*HIDABLE, "deals"):
        deleted[entity] = sim.truth(entity, include_deleted=False)[0]["id"]
        sim.delete(entity, deleted[entity])
    return deleted


def flagged(tmp_path, entity: str) -> set:
    return {row["id"] for row in raw_rows(tmp_path, entity) if row.get("is_deleted")}


def assert_deletes_followed(sim, tmp_path) -> None:
    """Live records are stored unflagged, every stored deleted one is flagged (a hidden list never
    shows what was deleted before the first sync), and the readable views show exactly the live
    records."""
    for entity in (*HIDABLE, "deals"):
        live = {record["id"] for record in sim.truth(entity, include_deleted=False)}
        gone = {record["id"] for record in sim.truth(entity)} - live
        stored = {row["id"] for row in raw_rows(tmp_path, entity)}
        assert stored - flagged(tmp_path, entity) == live, entity
        assert gone & stored == flagged(tmp_path, entity), entity
    assert_views_consistent(sim, build_views(tmp_path / "pipedrive.duckdb"))


@pytest.mark.parametrize("listing", ["flagged", "hidden"])
def test_deletes_end_flagged_in_raw_and_out_of_the_views(simulator, tmp_path, listing):
    sim = simulator(seed=31, counts=COUNTS, deleted_listing=listing)
    assert sync(sim, tmp_path).complete  # a first run reads every list whole: a listing in itself
    sim.advance(3600)
    deleted = delete_one_of_each(sim)

    soon = sync(sim, tmp_path)  # an hour later: no entity's listing is due yet

    assert soon.reconcile_requests == 0
    for entity in HIDABLE:  # a flagged list reports the delete; a hidden one does not (yet)
        assert (deleted[entity] in flagged(tmp_path, entity)) is (listing == "flagged")
    assert deleted["deals"] in flagged(tmp_path, "deals")  # deals: status=deleted either way

    sim.advance(DAY)
    sim.reset_stats()
    later = sync(sim, tmp_path)  # the last listing is now older than 24 hours

    assert later.complete
    assert all(deleted[entity] in flagged(tmp_path, entity) for entity in deleted)
    assert later.marked_deleted == ({entity: 1 for entity in HIDABLE} if listing == "hidden" else {})
    # one page per list: 4 v2 lists at 10 tokens, leads and archived leads (20 + 40), notes, users
    # and files (20 each); deals have a delete feed and are not listed
    assert (later.reconcile_requests, later.reconcile_tokens) == (9, 160)
    assert later.tokens == sim.stats["tokens"]  # the listing is part of the run's spend
    assert_deletes_followed(sim, tmp_path)


def test_reconcile_forces_a_listing_and_zero_hours_lists_every_run(simulator, tmp_path, monkeypatch):
    sim = simulator(seed=32, counts=COUNTS, deleted_listing="hidden")
    assert sync(sim, tmp_path).complete
    sim.advance(60)
    first = delete_one_of_each(sim)

    forced = sync(sim, tmp_path, reconcile=True)  # `run --reconcile`: every entity, deals too

    assert forced.marked_deleted == {entity: 1 for entity in HIDABLE}
    assert forced.reconcile_requests == 11  # deals and archived deals are listed as well

    sim.advance(60)
    second = delete_one_of_each(sim)
    assert sync(sim, tmp_path).marked_deleted == {}  # listed a minute ago: not due
    monkeypatch.setenv(RECONCILE_ENV, "0")
    every_run = sync(sim, tmp_path)

    assert every_run.marked_deleted == {entity: 1 for entity in HIDABLE}
    assert all(first[entity] in flagged(tmp_path, entity) for entity in HIDABLE)
    assert all(second[entity] in flagged(tmp_path, entity) for entity in HIDABLE)
    assert_deletes_followed(sim, tmp_path)


def test_a_negative_reconcile_interval_is_a_clear_configuration_error(simulator, tmp_path, monkeypatch):
    sim = simulator(seed=33, counts={"deals": 5})
    monkeypatch.setenv(RECONCILE_ENV, "-1")
    with pytest.raises(ConfigurationError, match="reconcile_every_hours must be 0"):
        sync(sim, tmp_path)
