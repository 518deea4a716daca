from datetime import datetime, timedelta, timezone

import pytest

from simulator.clock import iso
from tests.simulator.api import Api

pytestmark = pytest.mark.slow


@pytest.fixture
def sim(simulator):
    return simulator(seed=21, counts={"deals": 60, "persons": 40})


def stamp(ts: int, offset_hours: int = 0, fraction: str = "") -> str:
    moment = datetime.fromtimestamp(ts, timezone(timedelta(hours=offset_hours)))
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction
    return text + ("Z" if offset_hours == 0 else moment.strftime("%z")[:3] + ":" + moment.strftime("%z")[3:])


def test_updated_since_inclusive_until_exclusive_with_same_second_records(sim):
    api = Api(sim)
    first_second = sim.now()
    same_second = [sim.create("persons", {"name": f"Same Second {n}"})["id"] for n in range(3)]
    sim.advance(1)
    next_second = [sim.create("persons", {"name": f"Next Second {n}"})["id"] for n in range(2)]

    def ids(**params):
        rows, _ = api.walk("/api/v2/persons", sort_by="update_time", limit=2, **params)
        return [row["id"] for row in rows]

    assert ids(updated_since=iso(first_second)) == same_second + next_second
    assert ids(updated_since=iso(first_second), updated_until=iso(first_second + 1)) == same_second
    assert ids(updated_since=iso(first_second + 1)) == next_second
    assert ids(updated_until=iso(first_second)) and not set(ids(updated_until=iso(first_second))) & set(
        same_second
    )


def test_timestamps_compare_as_instants_not_strings(sim):
    api = Api(sim)
    second = sim.now()
    created = sim.create("persons", {"name": "Instant"})["id"]

    def ids(**params):
        return {row["id"] for row in api.data("/api/v2/persons", limit=500, **params)}

    assert created in ids(updated_since=stamp(second, offset_hours=2))
    assert created in ids(updated_since=stamp(second, fraction=".000"))
    assert created not in ids(updated_since=stamp(second, fraction=".500"))
    assert created in ids(updated_until=stamp(second, fraction=".001"))
    assert created not in ids(updated_until=stamp(second, offset_hours=-5))
    assert api.get("/api/v2/persons", updated_since="yesterday").status_code == 400


def test_incremental_filter_with_id_sort_uses_the_window(sim):
    api = Api(sim)
    sim.advance(3600)
    since = sim.now()
    touched = sorted([7, 3, 12])
    for deal_id in touched:
        sim.update("deals", deal_id, {"title": f"touched {deal_id}"})
    rows = api.data("/api/v2/deals", updated_since=iso(since), status="open,won,lost,deleted")
    archived = {row["id"] for row in sim.truth("deals") if row["is_archived"]}
    assert [row["id"] for row in rows] == [deal_id for deal_id in touched if deal_id not in archived]


def test_write_moves_update_time_to_the_clock(sim):
    sim.advance(86_400)
    updated = sim.update("deals", 1, {"value": 1234.5})
    assert updated["update_time"] == iso(sim.now())
    assert updated["add_time"] <= updated["update_time"]
    assert Api(sim).data("/api/v2/deals/1")["value"] == 1234.5


def test_generated_update_times_cluster_in_shared_seconds(simulator):
    sim = simulator(seed=4, counts={"deals": 400})
    seconds = [row["update_time"] for row in sim.truth("deals")]
    assert len(set(seconds)) < len(seconds) * 0.75
    assert max(seconds.count(second) for second in set(seconds)) >= 5
    assert all(row["add_time"] <= row["update_time"] for row in sim.truth("deals"))
