"""A measured run's peak RSS is its own, whatever the size of the harness that started it."""

from __future__ import annotations

import json

from bench.runner import _run_in_subprocess

HARNESS_MB = 600


def test_peak_rss_of_a_measured_run_does_not_count_the_harness(tmp_path):
    # the harness holds more than a measured run ever uses (as after the 1M-deal transforms scenario)
    ballast = bytearray(HARNESS_MB * 1024 * 1024)
    ballast[::4096] = b"\1" * len(ballast[::4096])
    requests_log = tmp_path / "requests.json"
    requests_log.write_text(json.dumps([]))
    job = {"kind": "floor", "base_url": "http://127.0.0.1:9", "token": "unused", "workdir": str(tmp_path),
           "entities": [], "requests_log": str(requests_log)}  # fmt: skip
    result, peak_rss_kb, _ = _run_in_subprocess(job)
    assert result["rows_per_table"] == {"records": 0}
    # an interpreter with pyarrow, requests and orjson: well under the ballast (ru_maxrss reported it)
    assert 10 * 1024 < peak_rss_kb < HARNESS_MB * 1024 // 2
