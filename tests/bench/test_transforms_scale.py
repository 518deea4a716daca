"""The 1M-deal transforms benchmark's account builder, at a small size, so that it keeps working."""

from __future__ import annotations

import duckdb

from bench.transforms_scale import SEED_DEALS, build_account
from transforms.runner import run_transforms


def test_benchmark_account_repeats_seed_deals_with_new_ids(tmp_path):
    con = duckdb.connect(str(tmp_path / "bench.duckdb"))
    build_account(con, 2 * SEED_DEALS, tmp_path)
    run_transforms(con, None)
    ids, distinct, territories = con.execute(
        "select count(*), count(distinct id), count(territory) from pipedrive.deals_all"
    ).fetchone()
    assert ids == distinct == 2 * SEED_DEALS
    assert 0 < territories < ids
