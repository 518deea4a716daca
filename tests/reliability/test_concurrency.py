"""Two syncs on one database, and a BI tool holding the DuckDB file open while a sync wants it.

Chosen behaviour: a second `run` refuses at once (lock file `<db>.lock`, `fcntl.flock`); a reader in
another process makes the sync wait `--wait-for-readers` seconds, then fail with a clear message.
Either way nothing is written around DuckDB's own lock, so the file is never corrupted.
"""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb

from pipelines.lock import lock_path_for, sync_lock
from tests.reliability.helpers import (
    CLI_SCRIPT,
    SMALL_ACCOUNT,
    TOKEN,
    db_path,
    duplicate_ids,
    run_args,
    run_cli,
    subprocess_environment,
)
from tests.sync.helpers import assert_matches_truth, sync


def test_second_run_refuses_while_the_first_syncs_then_the_first_completes(simulator, tmp_path):
    sim = simulator(seed=31, counts=SMALL_ACCOUNT, token=TOKEN)
    sim.set_faults(latency_ms=40)  # the first run takes a few seconds
    first = subprocess.Popen(
        [sys.executable, "-c", CLI_SCRIPT, *run_args(sim, tmp_path)],
        cwd=tmp_path,
        env=subprocess_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen = []
        for line in first.stderr:  # awaited: the first run has its lock once it reports the connection
            seen.append(line)
            if "connected to" in line:
                break
        assert any("connected to" in line for line in seen), "".join(seen)
        second = run_cli(tmp_path, *run_args(sim, tmp_path))
        assert first.poll() is None, "the first run ended before the second started; slow it down"
    finally:
        out, err = first.communicate(timeout=300)
    assert second.returncode == 1
    assert f"Another pipedrive-sync run (pid {first.pid})" in second.stderr and "did nothing" in second.stderr
    assert "Traceback" not in second.stderr
    assert first.returncode == 0, "".join(seen) + err
    sim.set_faults()
    assert_matches_truth(sim, tmp_path)
    assert not duplicate_ids(db_path(tmp_path))


def test_lock_is_refused_in_process_and_released_when_its_holder_ends(simulator, tmp_path):
    sim = simulator(seed=32, counts={"deals": 20}, token=TOKEN)
    with sync_lock(db_path(tmp_path)):
        refused = run_cli(tmp_path, *run_args(sim, tmp_path))
        assert refused.returncode == 1 and f"(pid {os.getpid()})" in refused.stderr
        assert sim.stats["requests"] == 0 and not db_path(tmp_path).exists()
    assert lock_path_for(db_path(tmp_path)).exists()  # the file stays; only the flock matters
    assert sync(sim, tmp_path).complete


def test_reader_holding_the_file_makes_the_sync_wait_then_fail_clearly_then_succeed(simulator, tmp_path):
    sim = simulator(seed=33, counts=SMALL_ACCOUNT, token=TOKEN)
    assert sync(sim, tmp_path).complete
    deal_id = sim.truth("deals", include_deleted=False)[0]["id"]
    sim.update("deals", deal_id, {"title": "Changed while BI reads"})
    sim.advance(60)
    sim.reset_stats()
    reader = duckdb.connect(str(db_path(tmp_path)), read_only=True)  # a BI tool, in another process
    try:
        rows_before = reader.execute("SELECT count(*) FROM pipedrive_raw.deals").fetchone()[0]
        blocked = run_cli(tmp_path, *run_args(sim, tmp_path, "--wait-for-readers", "1"))
        assert blocked.returncode == 1
        assert "is open in another process" in blocked.stderr and "Traceback" not in blocked.stderr
        assert sim.stats["requests"] == 0  # it gave up before asking the API for anything
        assert reader.execute("SELECT count(*) FROM pipedrive_raw.deals").fetchone()[0] == rows_before
    finally:
        reader.close()
    after = run_cli(tmp_path, *run_args(sim, tmp_path))
    assert after.returncode == 0, after.stderr[-2000:]
    assert_matches_truth(sim, tmp_path)


def test_reader_opening_the_file_during_the_sync_gives_the_same_clear_failure(simulator, tmp_path):
    """A BI tool that opens the file after the sync started: the load fails clearly, the extracted
    data waits in its load package, and the next run loads it."""
    sim = simulator(seed=34, counts=SMALL_ACCOUNT, token=TOKEN)
    assert sync(sim, tmp_path).complete
    for deal in sim.truth("deals", include_deleted=False)[:5]:
        sim.update("deals", deal["id"], {"title": f"Edited {deal['id']}"})
    sim.advance(60)
    readers = []

    def open_reader(request) -> None:
        if "/api/v2/deals" in request.path and not readers:
            readers.append(duckdb.connect(str(db_path(tmp_path)), read_only=True))

    remove_hook = sim.on_request(open_reader)
    try:
        blocked = run_cli(tmp_path, *run_args(sim, tmp_path))
    finally:
        remove_hook()
        for reader in readers:
            reader.close()
    assert readers, "the hook never opened a reader"
    assert blocked.returncode == 1, blocked.stderr[-2000:]
    assert "is open in another process" in blocked.stderr and "Traceback" not in blocked.stderr
    after = run_cli(tmp_path, *run_args(sim, tmp_path))
    assert after.returncode == 0, after.stderr[-2000:]
    assert_matches_truth(sim, tmp_path)
    assert not duplicate_ids(db_path(tmp_path))
