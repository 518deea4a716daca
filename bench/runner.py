"""Run one measured job in a fresh subprocess and collect its numbers, including the simulator's
request and token counts for exactly that run."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field

from bench.measured import run_job
from bench.simulator_process import REPO_ROOT, SimulatorProcess


@dataclass
class Measurement:
    kind: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    rows: int
    requests: int
    tokens: int
    rows_per_table: dict = field(default_factory=dict)
    requests_per_endpoint: dict = field(default_factory=dict)
    process_s: float = 0.0  # the whole process: interpreter start-up and imports included

    @property
    def rows_per_process_s(self) -> float:
        return self.rows / self.process_s if self.process_s else 0.0

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.wall_s if self.wall_s else 0.0


def run_measured(
    sim: SimulatorProcess, kind: str, workdir, entities: list[str], in_process: bool = False, **extra
) -> Measurement:
    """`kind` is "ours", "baseline" or "floor"; rows count only the tables named in `entities`.
    `in_process` (the smoke test only) skips the fresh subprocess: faster, but RSS is then the harness's."""
    job = {"kind": kind, "base_url": sim.base_url, "token": sim.token, "workdir": str(workdir),
           "entities": entities, **extra}  # fmt: skip
    before = sim.stats()
    if in_process:
        started = time.perf_counter()
        result = run_job(job)
        process_s = time.perf_counter() - started
        peak_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    else:
        result, peak_rss_kb, process_s = _run_in_subprocess(job)
    after = sim.stats()
    per_table = result["rows_per_table"]
    rows = per_table["records"] if kind == "floor" else sum(per_table.get(name, 0) for name in entities)
    return Measurement(
        kind=kind,
        wall_s=result["wall_s"],
        cpu_s=result["cpu_s"],
        peak_rss_mb=peak_rss_kb / 1024,
        rows=rows,
        requests=after["requests"] - before["requests"],
        tokens=after["tokens"] - before["tokens"],
        rows_per_table=per_table,
        requests_per_endpoint=_endpoint_delta(before, after),
        process_s=process_s,
    )


def _run_in_subprocess(job: dict) -> tuple[dict, int, float]:
    """The job's result, the subprocess's peak RSS in KiB (its own `VmHWM`; `ru_maxrss` where there is
    none, which counts the harness's memory at the fork) and its whole life in
    seconds (what a scheduler sees: start-up and imports included)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.measured", json.dumps(job)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    output = process.stdout.read()
    process.stdout.close()
    _, status, usage = os.wait4(process.pid, 0)
    process_s = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"measured {job['kind']} run failed (exit code {process.returncode})")
    result = json.loads(output.strip().splitlines()[-1])
    return result, result.get("peak_rss_kb") or usage.ru_maxrss, process_s


def _endpoint_delta(before: dict, after: dict) -> dict[str, int]:
    earlier = before.get("endpoints", {})
    delta = {}
    for name, item in after.get("endpoints", {}).items():
        count = item["requests"] - earlier.get(name, {}).get("requests", 0)
        if count:
            delta[name] = count
    return delta


def median_measurement(runs: list[Measurement]) -> Measurement:
    """The run with the median wall time (its other numbers belong to that same run), except peak
    RSS, which is the worst seen."""
    ordered = sorted(runs, key=lambda run: run.wall_s)
    chosen = ordered[(len(ordered) - 1) // 2]
    chosen.peak_rss_mb = max(run.peak_rss_mb for run in runs)
    return chosen
