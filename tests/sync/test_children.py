"""Children read one request per parent (deal participants and followers, product variations) reach
dlt in few tables, and a spent budget in the middle hands over every read it paid for."""

from __future__ import annotations

import threading

import pytest

from simulator.control import Simulator
from sources.pipedrive.client import PipedriveClient
from sources.pipedrive.context import SyncContext
from sources.pipedrive.entities import ENTITY_BY_NAME
from sources.pipedrive.errors import BudgetExhaustedError
from sources.pipedrive.rate_limit import BurstLimiter
from sources.pipedrive.state import ResourceState
from sources.pipedrive.streams import PARENTS_PER_TABLE, TOMBSTONE, ChildReader

DEALS = 130
CHILD = "deal_participants"


def _reader(client: PipedriveClient, deal_ids: list[int]) -> tuple[ChildReader, ResourceState]:
    """A reader of the deals' children with every deal pending (no counts known: each is fetched)."""
    state = ResourceState.read({})
    context = SyncContext(client, BurstLimiter())
    reader = ChildReader(ENTITY_BY_NAME["deals"], context, state)
    reader.children = [child for child in reader.children if child.name == CHILD]
    list(reader.add_parents(deal_ids, {}))
    return reader, state


def _handed_over(items: list) -> tuple[list, set, set]:
    """(tables of child rows, (deal, participant) pairs, deals given a tombstone)."""
    tables = [item.data for item in items if item.meta.hints["table_name"] == CHILD]
    row_tables = [table for table in tables if TOMBSTONE not in table.column_names]
    pairs = {(row["deal_id"], row["id"]) for table in row_tables for row in table.to_pylist()}
    tombstoned = {
        row["deal_id"] for table in tables if TOMBSTONE in table.column_names for row in table.to_pylist()
    }
    return row_tables, pairs, tombstoned


@pytest.fixture
def sim():
    with Simulator.start(seed=4, counts={"deals": DEALS}) as started:
        yield started


def test_per_parent_children_reach_dlt_many_parents_a_table_and_equal_upstream(sim):
    deal_ids = sorted(deal["id"] for deal in sim.truth("deals"))
    truth = {(deal, person) for deal, ids in sim.store.participant_ids.items() for person in ids}
    with_children = {deal for deal, _ in truth}
    client = PipedriveClient(sim.base_url, sim.token)
    reader, state = _reader(client, deal_ids)
    items = list(reader.read())
    client.close()
    tables, pairs, tombstoned = _handed_over(items)
    assert pairs == truth
    assert tombstoned == set(deal_ids) - with_children
    # one table per PARENTS_PER_TABLE requests, not one per parent: dlt's bookkeeping is per table
    groups = [deal_ids[start : start + PARENTS_PER_TABLE] for start in range(0, DEALS, PARENTS_PER_TABLE)]
    assert len(groups) > 1
    assert len(tables) == sum(bool(with_children.intersection(group)) for group in groups)
    assert sim.stats["endpoints"]["GET /v1/deals/{id}/participants"]["requests"] == len(deal_ids)
    assert state.pending_children[CHILD] == []


class BudgetAfter(PipedriveClient):
    """A client whose daily budget runs out after `allowed` requests."""

    def __init__(self, *args, allowed: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.allowed = allowed
        self.lock = threading.Lock()

    def get_json(self, *args, **kwargs):
        with self.lock:
            self.allowed -= 1
            if self.allowed < 0:
                raise BudgetExhaustedError("the daily budget is spent (test)")
        return super().get_json(*args, **kwargs)


def test_a_budget_spent_mid_table_hands_over_what_was_read_and_leaves_the_rest_pending(sim):
    deal_ids = sorted(deal["id"] for deal in sim.truth("deals"))
    allowed = PARENTS_PER_TABLE + PARENTS_PER_TABLE // 2  # stops inside the second table
    client = BudgetAfter(sim.base_url, sim.token, allowed=allowed)
    reader, state = _reader(client, deal_ids)
    items: list = []
    with pytest.raises(BudgetExhaustedError):
        for item in reader.read():
            items.append(item)
    client.close()
    _, pairs, tombstoned = _handed_over(items)
    pending = state.pending_children[CHILD]
    handed = {deal for deal, _ in pairs} | tombstoned
    # in order: a prefix handed over (at least the first table), the rest still pending
    assert deal_ids[: len(handed)] == sorted(handed)
    assert pending == deal_ids[len(handed) :]
    assert PARENTS_PER_TABLE < len(handed) <= allowed
    truth = {(deal, person) for deal, ids in sim.store.participant_ids.items() for person in ids}
    assert pairs == {pair for pair in truth if pair[0] in handed}
