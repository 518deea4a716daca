"""One measured run in a fresh process: `python -m bench.measured '<json job>'`.

The job says what to run ("ours", "baseline" or "floor"); the last stdout line is a JSON result
with the rows read, the wall and CPU time of the work itself (imports excluded). The parent reads
this process's peak RSS from `os.wait4`.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HISTORY_SHARE_VARIABLE = "SOURCES__PIPEDRIVE__HISTORY_BUDGET_SHARE"


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _import_lazy_dependencies(kind: str) -> None:
    """Imports are not part of the measured work, including those a library makes on first use:
    pyarrow imports pandas (about 0.7 s) on its first conversion of a Python list. Not in our sync,
    which keeps pyarrow from importing it (`pipelines.sync._arrow_without_pandas`): its peak RSS must
    not count a library it does not load."""
    if kind != "ours":
        import pandas  # noqa: F401


@contextmanager
def _history_setting(deal_history: bool) -> Iterator[None]:
    """Deal history off (bench.scenarios.NO_HISTORY): the entity sync alone. Restored afterwards, since
    the smoke test runs jobs inside its own process."""
    if deal_history:
        yield
        return
    previous = os.environ.get(HISTORY_SHARE_VARIABLE)
    os.environ[HISTORY_SHARE_VARIABLE] = "0"
    try:
        yield
    finally:
        if previous is None:
            del os.environ[HISTORY_SHARE_VARIABLE]
        else:
            os.environ[HISTORY_SHARE_VARIABLE] = previous


def run_job(job: dict) -> dict:
    kind = job["kind"]
    workdir = Path(job["workdir"])
    if kind == "ours":
        from pipelines.sync import run_sync

        def work() -> dict:
            with _history_setting(job.get("deal_history", True)):
                return _sync()

        def _sync() -> dict:
            result = run_sync(
                base_url=job["base_url"],
                api_token=job["token"],
                duckdb_path=workdir / "ours.duckdb",
                resources=None if job.get("default_set") else job["entities"],  # None: tiers apply
                pipelines_dir=workdir / "dlt",
            )
            if not result.complete:
                raise RuntimeError(f"sync incomplete: {result.message}")
            return result.rows_per_table

    elif kind == "baseline":
        from bench.baseline import run_baseline

        def work() -> dict:
            return run_baseline(job["base_url"], job["token"], job["entities"], workdir)

    elif kind == "floor":
        from bench.parse_floor import fetch_and_parse

        requests_log = json.loads(Path(job["requests_log"]).read_text())

        def work() -> dict:
            return {"records": fetch_and_parse(job["base_url"], job["token"], requests_log)}

    else:
        raise ValueError(f"unknown kind {kind!r}")
    _import_lazy_dependencies(kind)
    cpu_before, wall_before = _cpu_seconds(), time.perf_counter()
    rows_per_table = work()
    return {
        "rows_per_table": rows_per_table,
        "wall_s": time.perf_counter() - wall_before,
        "cpu_s": _cpu_seconds() - cpu_before,
    }


def own_peak_rss_kb() -> int | None:
    """This process's peak RSS since it started its program (`VmHWM`, Linux). Not `ru_maxrss`, which
    Linux carries over from before `exec`: a child forked from a big harness reports the harness's
    size."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


if __name__ == "__main__":
    result = run_job(json.loads(sys.argv[1]))
    print(json.dumps({**result, "peak_rss_kb": own_peak_rss_kb()}), flush=True)
