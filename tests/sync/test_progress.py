"""Issue 12: progress while extracting. Before, every entity's "done" line printed in the same
second at the end; now lines with rows and pages per entity and a rate come while it reads, and
retries and rate-limit pauses show as they happen."""

from __future__ import annotations

import re
from collections import Counter

import pytest

import pipelines.progress
from pipelines.progress import entity_of_path, progress_line
from sources.pipedrive.client import RetryPolicy
from tests.sync.helpers import sync


def test_progress_line_counts_pages_and_rows_per_entity():
    line = progress_line(
        Counter({"deals": 5000, "deal_snapshots": 5000}),
        Counter({"/api/v2/deals": 10, "/api/v2/deals/archived": 1, "/api/v2/persons": 2, "/v1/users/me": 1}),
        elapsed_s=2.0,
        paths=entity_of_path(),
    )
    assert line == (
        "reading: deal_snapshots 5,000 rows (0 pages), deals 5,000 rows (11 pages), "
        "persons 0 rows (2 pages); 5,000 rows/s"
    )
    assert progress_line(Counter(), Counter({"/v1/users/me": 1}), 1.0, entity_of_path()) is None


@pytest.mark.slow
def test_lines_arrive_while_extracting_with_retries_shown(simulator, tmp_path, monkeypatch):
    monkeypatch.setattr(pipelines.progress, "EVERY_S", 0.05)
    sim = simulator(seed=41, counts={"deals": 1200, "persons": 400}, latency_ms=15)
    sim.set_faults(error_rate=1.0, path_prefix="/api/v2/persons")  # every persons page fails...
    lines: list[str] = []

    def progress(line: str) -> None:
        lines.append(line)
        if "retry" in line:
            sim.set_faults()  # ... until the first retry is shown

    fast = RetryPolicy(backoff_s=0.01, max_backoff_s=0.02)
    assert sync(sim, tmp_path, progress=progress, retry=fast).complete
    reading = [index for index, line in enumerate(lines) if line.startswith("reading: ")]
    done = [index for index, line in enumerate(lines) if line.endswith(" done")]
    assert reading and done and reading[0] < done[-1], lines
    assert any(re.search(r"deals [\d,]+ rows \([\d,]+ pages\)", lines[index]) for index in reading), lines
    assert all(re.search(r"[\d,]+ rows/s$", lines[index]) for index in reading), lines
    assert any("/api/v2/persons" in line and "retry" in line for line in lines), lines
