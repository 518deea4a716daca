"""`pipedrive-sync run --every` as a real process against the simulator: it syncs again and again,
and SIGTERM arriving in the middle of a run lets that run finish, then exits 0."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading

import duckdb
import pytest

from simulator.control import Simulator

pytestmark = pytest.mark.slow

LINE_TIMEOUT_S = 60


class StderrLines:
    """The process's stderr, line by line, readable with a timeout (a reader thread fills a queue)."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(process.stderr,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self.lines.put(line)

    def wait_for(self, text: str) -> str:
        while True:
            line = self.lines.get(timeout=LINE_TIMEOUT_S)
            self.seen.append(line)
            if text in line:
                return line


def test_run_every_syncs_twice_then_stops_cleanly_on_sigterm_mid_run(tmp_path):
    database = tmp_path / "crm.duckdb"
    with Simulator.start(seed=4, counts={"deals": 150}) as sim:
        command = [sys.executable, "-c", "from pipelines.cli import main; main()", "run", "--every", "1s"]
        command += ["--base-url", sim.base_url, "--duckdb", str(database)]
        env = {**os.environ, "PIPEDRIVE_API_TOKEN": sim.token}
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            stderr = StderrLines(process)
            stderr.wait_for("run finished")
            sim.create("deals", {"title": "Arrived between runs", "value": 10})
            stderr.wait_for("run finished")
            stderr.wait_for("checked before")  # the third run has started (its account known)
            process.send_signal(signal.SIGTERM)
            stderr.wait_for("SIGTERM received")
            stderr.wait_for("run finished")  # the interrupted run still completes
            stderr.wait_for("stopped")
            assert process.wait(timeout=LINE_TIMEOUT_S) == 0
        finally:
            if process.poll() is None:
                process.kill()
        expected_deals = sim.count("deals")
    assert not any("run failed" in line for line in stderr.seen), stderr.seen
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from pipedrive_raw.deals").fetchone()[0] == expected_deals
        titles = {row[0] for row in con.execute("select title from pipedrive_raw.deals").fetchall()}
    assert "Arrived between runs" in titles
