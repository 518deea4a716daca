"""The scheduling loop with an injected run function: timing, backoff and signals, without real waits."""

import os
import signal
import threading

import dlt
import pytest

from pipelines.schedule import Backoff, parse_interval, run_every, stop_on_signals


class RecordedStop(threading.Event):
    """A stop event whose waits return at once and are recorded (the loop's only way to wait)."""

    def __init__(self) -> None:
        super().__init__()
        self.waited: list[float] = []

    def wait(self, timeout=None) -> bool:
        self.waited.append(timeout)
        return self.is_set()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("text", "seconds"), [("15m", 900), ("90s", 90), ("2h", 7200), ("1d", 86400), ("45s", 45), ("0.5m", 30)]
)
def test_intervals_parse(text, seconds):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "15x", "-5m", "0m", "m", "15", "0.5"])
def test_bad_intervals_are_refused(text):
    with pytest.raises(ValueError, match="not an interval"):
        parse_interval(text)


def test_runs_start_one_interval_apart_and_the_wait_subtracts_the_run_time():
    stop, clock, calls = RecordedStop(), FakeClock(), []

    def run_once():
        calls.append(clock.now)
        clock.now += 100  # each run takes 100 s
        if len(calls) == 3:
            stop.set()

    stats = run_every(run_once, interval_s=900, stop=stop, clock=clock)
    assert len(calls) == 3 and stats.runs == 3 and stats.failures == 0
    assert stop.waited == [800, 800]


def test_failures_back_off_exponentially_up_to_the_cap_and_reset_after_a_success():
    stop, outcomes = RecordedStop(), iter(["fail"] * 5 + ["ok", "fail", "ok"])
    messages = []

    def run_once():
        outcome = next(outcomes, None)
        if outcome is None:
            stop.set()
        elif outcome == "fail":
            raise RuntimeError("API down")

    backoff = Backoff(first_s=10, max_s=50)
    stats = run_every(run_once, 60, stop, backoff, log=messages.append, clock=FakeClock())
    assert stop.waited == [10, 20, 40, 50, 50, 60, 10, 60]
    assert stats.failures == 6 and stats.runs == 9
    assert any("API down" in message and "5 in a row" in message for message in messages)


def test_a_signal_during_a_run_lets_it_finish_then_stops_the_loop():
    stop, finished = threading.Event(), []

    def run_once():
        os.kill(os.getpid(), signal.SIGTERM)
        finished.append(True)  # the handler only asked to stop: the run goes on to its end

    before = signal.getsignal(signal.SIGTERM)
    with stop_on_signals(stop, log=lambda message: None):
        stats = run_every(run_once, interval_s=3600, stop=stop)
    assert finished == [True] and stats.runs == 1 and stop.is_set()
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_signal_while_waiting_ends_the_wait_at_once():
    stop = threading.Event()
    runs = []

    def run_once():
        runs.append(True)
        # deliver SIGINT shortly after the loop starts waiting an hour for the next run
        threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT)).start()

    with stop_on_signals(stop, log=lambda message: None):
        stats = run_every(run_once, interval_s=3600, stop=stop)
    assert runs == [True] and stats.runs == 1


def test_a_second_signal_aborts_the_current_run():
    stop = threading.Event()
    reached_end = []

    def run_once():
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGTERM)
        reached_end.append(True)

    with pytest.raises(KeyboardInterrupt), stop_on_signals(stop, log=lambda message: None):
        run_every(run_once, interval_s=60, stop=stop)
    assert reached_end == []


def test_a_signal_during_a_dlt_load_lets_the_load_finish(tmp_path):
    """dlt intercepts signals while it loads; inside the schedule the loop must hear them instead."""
    stop, loaded, runs = threading.Event(), [], []

    @dlt.destination(batch_size=10, name="signal_sink")
    def sink(items, table) -> None:
        if not loaded:
            os.kill(os.getpid(), signal.SIGTERM)  # arrives in the middle of the load step
        loaded.extend(items)

    def run_once():
        runs.append(True)
        if len(runs) > 1:  # only reached if the signal was lost: end the test instead of waiting
            stop.set()
            return
        pipeline = dlt.pipeline("schedule_signal", destination=sink, pipelines_dir=str(tmp_path))
        pipeline.run([{"id": number} for number in range(50)], table_name="things")

    with stop_on_signals(stop, log=lambda message: None):
        stats = run_every(run_once, interval_s=0.01, stop=stop, backoff=Backoff(first_s=0.01))
    assert stats.failures == 0 and runs == [True]
    assert sorted(item["id"] for item in loaded) == list(range(50))
