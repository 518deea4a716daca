"""Shared by the reliability suite: run `pipedrive-sync` as a real process, change a simulated
account the way users do, and check the database against the simulator's ground truth."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import orjson
import pyarrow.parquet as pq

from pipelines.sync import pipeline_name_for
from sources.pipedrive.entities import ENTITY_BY_NAME
from sources.pipedrive.state import resource_states
from sources.pipedrive.streams import active_streams
from sources.pipedrive.timestamps import parse_instant
from tests.sync.helpers import FEW_FOLLOWED, RECORD_ENTITIES
from transforms import run_transforms

TOKEN = "rel-4b1d9e77c03a5f26-token"
FULL_TESTS = os.environ.get("PIPEDRIVE_SYNC_FULL_TESTS") == "1"
SMALL_ACCOUNT = {
    "deals": 300,
    "persons": 120,
    "organizations": 50,
    "activities": 150,
    "products": 25,
    "deal_products": 120,
    "leads": 30,
    "notes": 40,
    "users": 4,
    **FEW_FOLLOWED,
}
CLI_SCRIPT = "from pipelines.cli import main; main()"
# readable views over raw tables that drop soft-deleted rows (`<name>_all` keeps them)
VIEWED_ENTITIES = ("deals", "persons", "organizations", "activities", "products", "leads")


def db_path(workdir: Path) -> Path:
    return workdir / "pipedrive.duckdb"


def state_dir(workdir: Path) -> Path:
    return workdir / "state"


def run_cli(workdir: Path, *args: str, token: str | None = TOKEN, timeout: float = 120, **env):
    """`pipedrive-sync <args>` as a separate process in `workdir` (its own `.dlt`, no inherited
    Pipedrive settings); returns the CompletedProcess with text output."""
    return run_python(workdir, CLI_SCRIPT, *args, token=token, timeout=timeout, **env)


def run_python(
    workdir: Path, script: str, *args: str, token: str | None = TOKEN, timeout: float = 120, **env
):
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=workdir,
        env=subprocess_environment(token, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def subprocess_environment(token: str | None = TOKEN, **env: str) -> dict[str, str]:
    """This environment without Pipedrive or dlt settings, plus the token and `env`."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIPEDRIVE_", "SOURCES__", "DESTINATION__", "RUNTIME__"))
    }
    if token is not None:
        environment["PIPEDRIVE_API_TOKEN"] = token
    environment.update(env)
    return environment


def run_args(sim, workdir: Path, *extra: str) -> list[str]:
    return [
        "run",
        "--base-url",
        sim.base_url,
        "--duckdb",
        str(db_path(workdir)),
        "--pipelines-dir",
        str(state_dir(workdir)),
        *extra,
    ]


def live_ids(sim, entity: str) -> list:
    return [record["id"] for record in sim.truth(entity, include_deleted=False)]


def change_account(sim, round_number: int = 1) -> None:
    """What a sales team does between two syncs: edits, new records, deletes, a deal archived, a
    product removed from an edited deal, a new custom field; then the clock moves on."""
    sim.advance(3600)
    deals = live_ids(sim, "deals")
    for deal_id in deals[:25]:
        sim.update("deals", deal_id, {"title": f"Renegotiated {round_number}-{deal_id}"})
    sim.advance(60)  # later changes get a later second: a rerun does not re-read the edits above
    for person_id in live_ids(sim, "persons")[:10]:
        sim.update("persons", person_id, {"name": f"Renamed {round_number}-{person_id}"})
    for index in range(5):
        sim.create("deals", {"title": f"New deal {round_number}-{index}", "value": 100 + index})
    sim.create("organizations", {"name": f"New org {round_number}"})
    for deal_id in deals[30:34]:
        sim.delete("deals", deal_id)
    sim.delete("activities", live_ids(sim, "activities")[0])
    sim.archive("deals", deals[40])
    edited = set(deals[:25])  # the API lists deal products by deal: only an edited deal is re-read
    sim.delete(
        "deal_products", next(row["id"] for row in sim.truth("deal_products") if row["deal_id"] in edited)
    )
    sim.add_field("deal_fields", f"Churn risk {round_number}", "double")
    sim.advance(60)


def force_values(sim, entity: str, record_id, changes: dict) -> dict:
    """Store values the API's own validation would refuse (a string where a number belongs, an
    object where a scalar belongs): real accounts carry such data from old integrations."""
    with sim.store.lock:
        record = copy.deepcopy(sim.store.get(entity, record_id))
        record.update(changes)
        return copy.deepcopy(sim.store.replace(entity, record))


def duplicate_ids(path: Path) -> dict[str, int]:
    """Tables of `pipedrive_raw` (with an `id` or `field_code` key) that hold a key twice."""
    found = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for table, key in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'pipedrive_raw' AND column_name IN ('id', 'field_code') "
            "AND table_name NOT LIKE '\\_dlt%' ESCAPE '\\' AND table_name <> 'deal_snapshots'"
        ).fetchall():
            extra = con.execute(
                f'SELECT count("{key}") - count(DISTINCT "{key}") FROM pipedrive_raw."{table}"'
            ).fetchone()[0]
            if extra:
                found[table] = extra
        snapshots = (
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'pipedrive_raw' AND table_name = ?"
        )
        if con.execute(snapshots, ["deal_snapshots"]).fetchone()[0]:
            extra = con.execute(
                "SELECT count(*) - count(DISTINCT (id, update_time)) FROM pipedrive_raw.deal_snapshots"
            ).fetchone()[0]
            if extra:
                found["deal_snapshots"] = extra
    return found


def build_views(path: Path) -> Path:
    """Run the transforms on a copy of the database and return the copy's path. A copy, because a
    file named `pipedrive.duckdb` makes catalog and schema `pipedrive` ambiguous in DuckDB."""
    copy_path = path.with_name("views.duckdb")
    shutil.copyfile(path, copy_path)
    run_transforms(copy_path, None)
    return copy_path


def assert_views_consistent(sim, views_path: Path) -> None:
    """The readable views agree with the raw tables and the truth: one row per live record."""
    with duckdb.connect(str(views_path), read_only=True) as con:
        for entity in VIEWED_ENTITIES:
            view_ids = [row[0] for row in con.execute(f"SELECT id FROM pipedrive.{entity}").fetchall()]
            assert len(view_ids) == len(set(view_ids)), f"pipedrive.{entity} repeats ids"
            assert set(view_ids) == set(live_ids(sim, entity)), f"pipedrive.{entity} ids differ from truth"
            all_rows = con.execute(
                f"SELECT count(*), count(DISTINCT id) FROM pipedrive.{entity}_all"
            ).fetchone()
            raw_rows = con.execute(f"SELECT count(*) FROM pipedrive_raw.{entity}").fetchone()[0]
            assert all_rows == (raw_rows, raw_rows), f"pipedrive.{entity}_all vs raw"
        enriched = con.execute("SELECT count(*) FROM pipedrive.deals_enriched").fetchone()[0]
        assert enriched == len(live_ids(sim, "deals"))


def local_cursors(workdir: Path, duckdb_file: Path | None = None) -> dict[str, dict[str, str]]:
    """entity -> stream key -> cursor, as the next run will read them from dlt's local state."""
    state_file = state_dir(workdir) / pipeline_name_for(duckdb_file or db_path(workdir)) / "state.json"
    if not state_file.exists():
        return {}
    states = resource_states(orjson.loads(state_file.read_bytes()))
    return {entity: state.cursors for entity, state in states.items()}


def pending_rows(workdir: Path, table: str, columns: list[str]) -> list[dict]:
    """Rows of `table` in load packages dlt has not finished (it completes them first next run). A
    completed job of such a package is only staged: its merge runs when the package completes."""
    pipeline_dir = state_dir(workdir) / pipeline_name_for(db_path(workdir))
    rows = []
    for stage in ("normalize/extracted", "load/normalized"):
        for file in (pipeline_dir / stage).glob(f"*/*_jobs/{table}.*.parquet"):
            if file.parent.name == "failed_jobs":
                continue
            data = pq.read_table(file)
            rows += data.select([name for name in columns if name in data.column_names]).to_pylist()
    return rows


def loaded_rows(path: Path, table: str, columns: list[str]) -> list[dict]:
    if not path.exists():
        return []
    with duckdb.connect(str(path), read_only=True) as con:
        present = {
            row[0]
            for row in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'pipedrive_raw' AND table_name = ?",
                [table],
            ).fetchall()
        }
        if not present:
            return []
        selected = ", ".join(f'"{name}"' for name in columns if name in present)
        return con.sql(f"SELECT {selected} FROM pipedrive_raw.{table}").to_arrow_table().to_pylist()


def cursors_ahead_of_data(sim, workdir: Path) -> list[str]:
    """Records the next run would skip: older than their stream's stored cursor, yet neither in
    DuckDB nor in a pending load package in that version (or a newer one). Empty when safe."""
    problems = []
    context = _DefaultStreams()
    for entity_name, cursors in local_cursors(workdir).items():
        entity = ENTITY_BY_NAME[entity_name]
        field = entity.cursor_field
        if not cursors or not field or entity_name not in RECORD_ENTITIES:
            continue
        columns = [entity.primary_key, field]
        have: dict = {}
        for row in loaded_rows(db_path(workdir), entity_name, columns) + pending_rows(
            workdir, entity_name, columns
        ):
            if row.get(field):
                instant = parse_instant(row[field])
                have[row[entity.primary_key]] = max(instant, have.get(row[entity.primary_key], instant))
        for stream in active_streams(entity, context):
            cursor = cursors.get(stream.key)
            if not cursor:
                continue
            cursor_instant = parse_instant(cursor).replace(microsecond=0)
            for record in sim.truth(entity_name):
                if stream.archived is not None and bool(record.get("is_archived")) != stream.archived:
                    continue
                updated = parse_instant(record[field])
                stored = have.get(record[entity.primary_key])
                if updated < cursor_instant and (stored is None or stored < updated):
                    problems.append(
                        f"{entity_name} {record[entity.primary_key]} at {updated}: cursor {cursor}"
                    )
    return problems[:20]


class _DefaultStreams:
    """Stands in for a SyncContext when asking which streams a default run reads."""

    v1_list_entities = frozenset()
