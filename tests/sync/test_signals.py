"""Issue 12: Ctrl-C and SIGTERM on a one-shot `run`. Before, Ctrl-C was ignored while extracting
and printed about 80 lines of dlt traceback while loading. Now the run stops within seconds (also
while it waits out retries or rate limits), prints one line, exits 130/143, and the next run
resumes exactly. Real signals to a real process; the tests await its output lines, never sleep."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import pytest

from pipelines.interrupt import GRACE_S
from sources.pipedrive.client import RetryPolicy
from sources.pipedrive.errors import RunInterrupted
from sources.pipedrive.rate_limit import BurstLimiter
from tests.reliability.helpers import TOKEN, subprocess_environment
from tests.schedule.test_run_every_cli import StderrLines
from tests.sync.helpers import assert_matches_truth, sync

pytestmark = pytest.mark.slow  # whole syncs

ACCOUNT = {"deals": 1500, "persons": 600, "organizations": 100, "activities": 600, "notes": 100}


def start_run(sim, tmp_path) -> tuple[subprocess.Popen, StderrLines]:
    command = [sys.executable, "-c", "from pipelines.cli import main; main()", "run"]
    command += ["--base-url", sim.base_url, "--duckdb", str(tmp_path / "pipedrive.duckdb")]
    command += ["--pipelines-dir", str(tmp_path / "state")]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=subprocess_environment(TOKEN),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, StderrLines(process)


def stop_and_wait(process, stderr, signum: int) -> tuple[int, float, list[str]]:
    sent = time.monotonic()
    process.send_signal(signum)
    code = process.wait(timeout=60)
    took = time.monotonic() - sent
    rest = process.stderr.read() if process.stderr and not process.stderr.closed else ""
    while not stderr.lines.empty():
        stderr.seen.append(stderr.lines.get())
    return code, took, stderr.seen + rest.splitlines()


def assert_one_stop_line(lines: list[str], name: str) -> None:
    text = "\n".join(lines)
    assert "Traceback" not in text and "Error:" not in text, text[-3000:]
    stopped = [line for line in lines if line.startswith("Stopped by")]
    assert len(stopped) == 1 and name in stopped[0] and "next run resumes" in stopped[0], text[-2000:]


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_while_extracting_stops_fast_and_the_next_run_resumes(simulator, tmp_path, signum, code):
    sim = simulator(seed=31, counts=ACCOUNT, token=TOKEN, latency_ms=20)
    process, stderr = start_run(sim, tmp_path)
    try:
        stderr.wait_for("connected to")
        exit_code, took, lines = stop_and_wait(process, stderr, signum)
    finally:
        if process.poll() is None:
            process.kill()
    assert exit_code == code
    assert took < GRACE_S + 2, took
    assert_one_stop_line(lines, signal.Signals(signum).name)
    sim.set_faults(latency_ms=0)
    assert sync(sim, tmp_path).complete
    assert_matches_truth(sim, tmp_path)


def test_signal_while_loading_is_one_line_not_a_dlt_traceback(simulator, tmp_path):
    sim = simulator(seed=34, counts=ACCOUNT, token=TOKEN)
    process, stderr = start_run(sim, tmp_path)
    try:
        stderr.wait_for("loading ")
        exit_code, took, lines = stop_and_wait(process, stderr, signal.SIGINT)
    finally:
        if process.poll() is None:
            process.kill()
    assert exit_code == 130 and took < GRACE_S + 2, took
    assert_one_stop_line(lines, "SIGINT")
    assert sync(sim, tmp_path).complete  # the next run finishes the half-loaded package first
    assert_matches_truth(sim, tmp_path)


def test_sigterm_while_waiting_out_retries_stops_at_once(simulator, tmp_path):
    sim = simulator(seed=32, counts={"deals": 30, "persons": 20}, token=TOKEN)
    sim.set_faults(error_rate=1.0, path_prefix="/api/v2/persons")
    process, stderr = start_run(sim, tmp_path)
    try:
        stderr.wait_for("retry 6 in")  # a 6.4 s backoff, then 8 s more before the run would fail
        exit_code, took, lines = stop_and_wait(process, stderr, signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
    assert exit_code == 143 and took < 6.4, took
    assert_one_stop_line(lines, "SIGTERM")
    sim.set_faults()
    assert sync(sim, tmp_path).complete
    assert_matches_truth(sim, tmp_path)


def test_a_stop_ends_a_rate_limit_wait_and_a_retry_backoff_at_once(simulator, tmp_path):
    stop = threading.Event()
    limiter = BurstLimiter(stop=stop)
    limiter.block_for(600)  # a long 429 penalty
    outcome: list = []

    def wait() -> None:
        try:
            limiter.wait_for_turn(10)
        except RunInterrupted as error:
            outcome.append(error)

    waiter = threading.Thread(target=wait)
    waiter.start()
    stop.set()
    waiter.join(timeout=5)
    assert not waiter.is_alive() and len(outcome) == 1

    sim = simulator(seed=33, counts={"deals": 10}, token=TOKEN)
    sim.set_faults(error_rate=1.0, path_prefix="/api/v2/deals")
    stop = threading.Event()
    seen: list[str] = []
    retried = threading.Event()

    def progress(message: str) -> None:
        seen.append(message)
        if "retry 1 in" in message:
            retried.set()

    failures: list = []

    def run() -> None:
        try:
            slow_retries = RetryPolicy(backoff_s=300, max_backoff_s=300)
            sync(sim, tmp_path, retry=slow_retries, stop=stop, progress=progress)
        except RunInterrupted as error:
            failures.append(error)

    runner = threading.Thread(target=run)
    runner.start()
    assert retried.wait(timeout=60), seen
    stopped_at = time.monotonic()
    stop.set()
    runner.join(timeout=30)
    assert not runner.is_alive() and len(failures) == 1
    assert time.monotonic() - stopped_at < 10  # not the 300 s backoff
