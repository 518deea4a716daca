"""The shared burst limiter paces from the rate-limit headers before Pipedrive says 429."""

from sources.pipedrive.rate_limit import BurstLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_waits_for_the_window_when_the_headers_say_it_is_nearly_spent():
    time = FakeTime()
    limiter = BurstLimiter(reserve=1, clock=time.clock, sleep=time.sleep)
    limiter.wait_for_turn()  # nothing known yet: go
    limiter.observe({"x-ratelimit-remaining": "3", "x-ratelimit-reset": "2"})
    limiter.wait_for_turn()
    limiter.wait_for_turn()
    assert time.slept == []  # 3 left, 1 kept in reserve: two more go at once
    limiter.wait_for_turn()
    assert time.slept == [2.0]  # the third waits for the window to roll over


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
