"""A windowed backfill rebalances under a rate limit (idle workers take over half of the longest
window's rest), sets its windows once without one, and hands every record over exactly once."""

from collections import Counter

import pytest

from simulator.control import Simulator
from sources.pipedrive.client import PipedriveClient
from sources.pipedrive.entities import Stream
from sources.pipedrive.pagination import CURSOR
from sources.pipedrive.rate_limit import BurstLimiter
from sources.pipedrive.windows import WindowedBackfill

pytestmark = pytest.mark.slow

PERSONS = 2500
RECENT = 2000  # updated lately, a few per simulated second: all in the last equal window
PERSONS_ASC = Stream("/api/v2/persons", CURSOR, {"sort_by": "update_time", "sort_direction": "asc"})


class RoomyLimiter(BurstLimiter):
    """A rate limit with room for every chain a split can make."""

    def has_room(self) -> bool:
        return True


def test_idle_workers_split_the_longest_window_and_no_record_is_read_twice():
    with Simulator.start(seed=8, counts={"persons": PERSONS}, plan="premium") as sim:
        sim.advance(86_400)
        alive = [person for person in sim.truth("persons") if not person.get("is_deleted")]
        for index, person in enumerate(alive[-RECENT:]):
            sim.update("persons", person["id"], {"name": f"renamed {index}"})
            if index % 10 == 0:
                sim.advance(1)
        limiter = RoomyLimiter()
        client = PipedriveClient(sim.base_url, sim.token, limiter=limiter)
        backfill = WindowedBackfill(client, limiter, PERSONS_ASC, "update_time", windows=4)
        read = Counter(row["id"] for page in backfill for row in page)
        client.close()
        assert len(backfill.windows) > 1  # under a rate limit it starts as one chain: it was split
        assert all(window.finished for window in backfill.windows)
        assert max(read.values()) == 1
        assert set(read) == {person["id"] for person in sim.truth("persons")}
        bounds = [(window.since, window.until) for window in backfill.windows]
        assert all(bounds[index][1] == bounds[index + 1][0] for index in range(len(bounds) - 1))


class NoRoomLimiter(BurstLimiter):
    """A rate limit that more chains could not speed up."""

    def has_room(self) -> bool:
        return False


def test_under_a_rate_limit_without_room_the_backfill_is_one_chain_without_extra_requests():
    with Simulator.start(seed=8, counts={"persons": PERSONS}, plan="premium") as sim:
        limiter = NoRoomLimiter()
        client = PipedriveClient(sim.base_url, sim.token, limiter=limiter)
        backfill = WindowedBackfill(client, limiter, PERSONS_ASC, "update_time", windows=4)
        read = Counter(row["id"] for page in backfill for row in page)
        client.close()
        assert len(backfill.windows) == 1
        assert sim.stats["endpoints"]["GET /api/v2/persons"]["requests"] == -(-PERSONS // 500)
        assert max(read.values()) == 1 and len(read) == PERSONS


def test_without_a_rate_limit_a_short_list_gets_no_more_windows_than_it_has_pages_for():
    with Simulator.start(seed=8, counts={"persons": PERSONS}) as sim:
        client = PipedriveClient(sim.base_url, sim.token)
        backfill = WindowedBackfill(client, client.limiter, PERSONS_ASC, "update_time", windows=4)
        read = Counter(row["id"] for page in backfill for row in page)
        client.close()
        pages = -(-PERSONS // 500)
        assert len(backfill.windows) < 4  # 4 pages after page one: not worth 4 windows
        # each window beyond the first ends on a part-filled page; one more asks for the newest record
        requests = sim.stats["endpoints"]["GET /api/v2/persons"]["requests"]
        assert requests == pages + len(backfill.windows)
        assert max(read.values()) == 1 and len(read) == PERSONS
