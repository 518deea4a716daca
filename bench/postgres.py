"""Syncing into Postgres next to syncing into DuckDB: `python -m bench.postgres [--deals N]`.

Starts a throwaway PostgreSQL server (scripts/install_postgres.sh installs the binaries) and the
simulator in a process of its own, then times, for each destination: the full sync, an
incremental run with nothing new, and the transforms. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.simulator_process import SimulatorProcess
from pipelines.sync import run_sync
from tests.postgres.cluster import throwaway_postgres
from transforms.postgres import run_transforms_in_postgres
from transforms.runner import run_transforms


def timed(step: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    outcome = step()
    return outcome, time.perf_counter() - started


def measure(
    destination: str, sim: SimulatorProcess, workdir: Path, transform: Callable[[], object]
) -> list[tuple]:
    def sync():
        result = run_sync(
            base_url=sim.base_url,
            api_token=sim.token,
            duckdb_path=workdir / f"{destination}.duckdb",
            pipelines_dir=workdir / f"state-{destination}",
            destination=destination,
        )
        assert result.complete, result.message
        return result

    full, full_s = timed(sync)
    rows = sum(full.rows_per_table.values())
    _, noop_s = timed(sync)
    _, transform_s = timed(transform)
    return [
        (destination, "full sync", rows, full_s, rows / full_s),
        (destination, "incremental, nothing new", None, noop_s, None),
        (destination, "transforms", None, transform_s, None),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=50_000)
    arguments = parser.parse_args()
    counts = {
        "deals": arguments.deals,
        "persons": arguments.deals // 2,
        "organizations": arguments.deals // 5,
    }
    with (
        tempfile.TemporaryDirectory(prefix="bench-postgres-") as workdir,
        throwaway_postgres() as server,
        SimulatorProcess(counts=counts) as sim,
    ):
        os.environ["DESTINATION__POSTGRES__CREDENTIALS"] = server.dsn
        workdir = Path(workdir)
        rows = measure("duckdb", sim, workdir, lambda: run_transforms(workdir / "duckdb.duckdb", None))
        rows += measure("postgres", sim, workdir, lambda: run_transforms_in_postgres(server.dsn, None))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"Simulated account: {counts}; load average after the runs: {load} ({os.cpu_count()} cores)\n")
    print("| destination | step | rows | seconds | rows/s |\n|---|---|---:|---:|---:|")
    for destination, step, count, seconds, rate in rows:
        count_text = f"{count:,}" if count is not None else ""
        rate_text = f"{rate:,.0f}" if rate is not None else ""
        print(f"| {destination} | {step} | {count_text} | {seconds:.1f} | {rate_text} |")


if __name__ == "__main__":
    main()
