"""The shared limiter spreads requests over the burst window from our own send times, pauses
everyone after a 429, and keeps requests in flight within the daily tokens left."""

import threading

import pytest

from simulator.control import Simulator
from sources.pipedrive.rate_limit import FIRST_WINDOW_REQUESTS, BurstLimiter
from tests.sync.helpers import sync

LIMIT_HEADERS = {"x-ratelimit-limit": "5", "x-ratelimit-remaining": "4", "x-ratelimit-reset": "2"}


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_waits_only_until_the_oldest_send_leaves_the_window():
    time = FakeTime()
    limiter = BurstLimiter(reserve=1, clock=time.clock, sleep=time.sleep, margin_s=0.1)
    limiter.wait_for_turn()
    limiter.observe(LIMIT_HEADERS)  # limit 5, one kept in reserve: 4 per window
    for _ in range(3):
        time.now += 0.5
        limiter.wait_for_turn()
    assert time.slept == []
    limiter.wait_for_turn()  # the fifth: until the first send (at 100.0) is 2.1 s old
    assert time.slept == pytest.approx([0.6])
    limiter.wait_for_turn()  # the sixth: until the second send (at 100.5) is 2.1 s old
    assert time.slept == pytest.approx([0.6, 0.5])


def test_before_any_answer_no_more_than_the_smallest_plan_allows():
    time = FakeTime()
    limiter = BurstLimiter(clock=time.clock, sleep=time.sleep)
    for _ in range(FIRST_WINDOW_REQUESTS):
        limiter.wait_for_turn()
    assert time.slept == []
    limiter.wait_for_turn()
    assert len(time.slept) == 1


def test_a_429_pauses_every_caller():
    time = FakeTime()
    limiter = BurstLimiter(clock=time.clock, sleep=time.sleep)
    limiter.block_for(10)
    limiter.wait_for_turn()
    assert time.slept == [10.0]


def test_without_headers_nothing_is_paced():
    time = FakeTime()
    limiter = BurstLimiter(clock=time.clock, sleep=time.sleep)
    limiter.observe({})
    for _ in range(50):
        limiter.wait_for_turn()
    assert time.slept == []


def test_a_fault_answer_without_headers_keeps_the_learned_limit():
    time = FakeTime()
    limiter = BurstLimiter(reserve=1, clock=time.clock, sleep=time.sleep)
    limiter.observe(LIMIT_HEADERS)
    limiter.observe({"retry-after": "1"})
    for _ in range(5):
        limiter.wait_for_turn()
    assert len(time.slept) == 1


def test_requests_in_flight_stay_within_the_daily_tokens_left():
    limiter = BurstLimiter()
    limiter.observe({"x-daily-ratelimit-token-remaining": "25"})
    limiter.wait_for_turn(10)
    limiter.wait_for_turn(10)  # 20 of 25 tokens in flight
    third_sent = threading.Event()
    third = threading.Thread(target=lambda: (limiter.wait_for_turn(10), third_sent.set()), daemon=True)
    third.start()
    assert not third_sent.wait(0.2)  # 5 tokens would be left for it: it waits for an answer
    limiter.observe({"x-daily-ratelimit-token-remaining": "14"}, cost=10)
    assert not third_sent.wait(0.2)  # 14 left, 10 still in flight: still not enough
    limiter.observe({"x-daily-ratelimit-token-remaining": "14"}, cost=10)  # the other one failed
    assert third_sent.wait(5)


@pytest.mark.slow
def test_a_budget_running_out_under_many_parallel_windows_is_learnt_by_one_request(tmp_path):
    # 16 backfill windows read at once; without the in-flight check each would meet the 429
    with Simulator.start(
        seed=5,
        counts={"deals": 3000, "persons": 3000},
        plan="lite",
        daily_budget=150,
        burst_limit=500,
        latency_ms=50,
    ) as sim:
        result = sync(
            sim, tmp_path, resources=["deals", "persons"], max_budget_share=1.0
        )  # Pipedrive's limit
        assert not result.complete and "budget" in result.message
        budget_429s = sum(item["statuses"].get(429, 0) for item in sim.stats["endpoints"].values())
        assert budget_429s == 1


def test_room_for_another_chain_only_while_the_requests_wanted_do_not_fill_the_limit():
    time = FakeTime()
    limiter = BurstLimiter(reserve=1, clock=time.clock, sleep=time.sleep, margin_s=0.0)
    assert not limiter.has_room()  # nothing known yet
    limiter.wait_for_turn()
    time.now += 0.5
    limiter.observe({"x-ratelimit-limit": "9"})  # 8 per 2 s, answers in 0.5 s: 2 requests keep it busy
    assert limiter.limited
    assert limiter.has_room()
    limiter.wait_for_turn()
    assert limiter.has_room()
    limiter.wait_for_turn()
    assert not limiter.has_room()
    limiter.observe({"x-ratelimit-limit": "9"})
    assert limiter.has_room()


def test_an_unlimited_server_always_has_room():
    limiter = BurstLimiter()
    limiter.wait_for_turn()
    limiter.observe({})
    assert not limiter.limited and limiter.has_room()
