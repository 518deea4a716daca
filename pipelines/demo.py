"""`pipedrive-sync demo`: the whole product in under a minute against a local simulator."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from pipelines.account import account_in_database, describe
from pipelines.summary import summary_lines
from pipelines.sync import run_sync
from shared.warehouse import DatabaseFileError

DEMO_SEED = 42
DAY = 86_400
DEMO_COMPANY_DOMAIN = "pipedrive-sync-demo"  # the demo replaces only databases of this account


def demo_counts(deals: int) -> dict[str, int]:
    return {
        "deals": deals,
        "persons": deals // 2,
        "organizations": max(20, deals // 6),
        "activities": deals,
        "deal_products": deals,
        "leads": max(10, deals // 10),
        "notes": deals // 4,
    }


def check_demo_may_replace(path: Path) -> None:
    """The demo starts from an empty database, but never deletes one it did not create."""
    if not path.exists():
        return
    try:
        account = account_in_database(path)
    except duckdb.Error:
        account = None
    if account is None or account.get("domain") != DEMO_COMPANY_DOMAIN:
        holds = f"Pipedrive account {describe(account)}" if account else "data the demo did not create"
        raise DatabaseFileError(
            f"{path} holds {holds}; the demo never overwrites it. Run the demo with another --duckdb path, "
            "or move that file away yourself."
        )


def run_demo(duckdb_path: str | Path, deals: int, echo: Callable[[str], None], progress) -> int:
    from simulator.control import Simulator

    path = Path(duckdb_path)
    check_demo_may_replace(path)
    for stale in (path, Path(f"{path}.wal")):
        stale.unlink(missing_ok=True)  # a fresh demo database; run_sync then forgets old cursors
    started_at = int(time.time()) - DAY  # the demo's day of changes ends about now: dates look current
    with Simulator.start(
        seed=DEMO_SEED,
        counts=demo_counts(deals),
        token="demo-token",
        company_domain=DEMO_COMPANY_DOMAIN,
        start_time=started_at,
    ) as sim:
        echo(f"1) Simulated Pipedrive account at {sim.base_url} ({deals:,} deals)")
        echo(f"2) Full sync into {path}")
        full = run_sync(base_url=sim.base_url, api_token=sim.token, duckdb_path=path, progress=progress)
        _echo_lines(echo, summary_lines(full))
        echo("3) A day of changes upstream:")
        for line in make_changes(sim):
            echo(f"   - {line}")
        echo("4) Incremental sync (reads only what changed)")
        incremental = run_sync(
            base_url=sim.base_url, api_token=sim.token, duckdb_path=path, progress=progress, transform=True
        )
        _echo_lines(echo, summary_lines(incremental))
    query = "select title, stage_name, owner_name, status, value from pipedrive.deals_enriched limit 5"
    python_line = f"import duckdb; print(duckdb.connect('{path}').sql('{query}'))"
    echo("5) Query the result: readable views and marts in schema pipedrive, raw tables in pipedrive_raw")
    echo(f'   .venv/bin/python -c "{python_line}"')
    echo(f"   .venv/bin/pipedrive-sync status --duckdb {path}")
    echo(f"   .venv/bin/pipedrive-sync report --duckdb {path} -o dashboard.html")
    return 0 if full.complete and incremental.complete else 1


def make_changes(sim) -> list[str]:
    """Realistic edits: stage moves, wins, new deals, deletes, archives, a renamed and a new field."""
    rng = random.Random(DEMO_SEED)
    sim.advance(DAY)
    live = [deal for deal in sim.truth("deals", include_deleted=False) if not deal["is_archived"]]
    open_deals = [deal for deal in live if deal["status"] == "open"]
    stages = sim.truth("stages", include_deleted=False)
    moved = rng.sample(open_deals, min(40, len(open_deals)))
    for deal in moved:
        later = [s for s in stages if s["pipeline_id"] == deal["pipeline_id"] and s["order_nr"] > 1]
        if later:
            sim.update("deals", deal["id"], {"stage_id": rng.choice(later)["id"]})
    won = rng.sample(open_deals, min(10, len(open_deals)))
    for deal in won:
        sim.update("deals", deal["id"], {"status": "won"})
    created = [
        sim.create("deals", {"title": f"Demo opportunity {n}", "value": 1000 * (n + 1)}) for n in range(15)
    ]
    deleted = rng.sample(live, min(8, len(live)))
    for deal in deleted:
        sim.delete("deals", deal["id"])
    archived = [deal for deal in live if deal not in deleted][:5]
    for deal in archived:
        sim.archive("deals", deal["id"])
    renamed = next(field for field in sim.fields("deal_fields") if field["is_custom_field"])
    sim.rename_field("deal_fields", renamed["field_code"], f"{renamed['field_name']} (renamed)")
    new_field = sim.add_field("deal_fields", "Renewal date", "date")
    for deal in created[:5]:
        sim.update("deals", deal["id"], {"custom_fields": {new_field["field_code"]: "2027-01-31"}})
    return [
        f"{len(moved)} deals moved stage, {len(won)} won",
        f"{len(created)} deals created, {len(deleted)} deleted, {len(archived)} archived",
        f"deal field {renamed['field_name']!r} renamed; new field 'Renewal date' set on 5 deals",
    ]


def _echo_lines(echo, lines: list[str]) -> None:
    for line in lines:
        echo(f"   {line}")
