"""Hostile settings and hostile data: each is one clear error, or handled with nothing lost."""

from __future__ import annotations

import socket

import duckdb
import orjson
import pytest

from sources.pipedrive.errors import ApiError, PipedriveError
from tests.reliability.helpers import (
    TOKEN,
    build_views,
    db_path,
    duplicate_ids,
    force_values,
    live_ids,
    run_args,
    run_cli,
)
from tests.sync.helpers import assert_matches_truth, mismatches, raw_rows, sync

HOSTILE_ACCOUNT = {"deals": 60, "persons": 40, "organizations": 20, "activities": 30, "notes": 20}
UNICODE = (
    "Zoë Ærøskøbing — 東京 · مرحبا · עברית · 🦄👩‍💻🏳️‍🌈 · e\u0301 · \u200b · 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"
    " · \"quotes\" 'and' \\ back"
)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def one_error_line(outcome) -> str:
    assert outcome.returncode == 1, outcome.stderr[-2000:]
    assert "Traceback" not in outcome.stderr, outcome.stderr[-3000:]
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, outcome.stderr
    return errors[0]


# ---- settings ---------------------------------------------------------------------------------


def test_missing_token_is_one_clear_error(simulator, tmp_path):
    sim = simulator(seed=41, counts={"deals": 5}, token=TOKEN)
    error = one_error_line(run_cli(tmp_path, *run_args(sim, tmp_path), token=None))
    assert "No Pipedrive API token" in error and "PIPEDRIVE_API_TOKEN" in error
    assert sim.stats["requests"] == 0


@pytest.mark.parametrize("token", ["wrong-token", "", " ", "tok\u00e9n-with-ünïcode"])
def test_invalid_token_is_one_clear_error_without_echoing_it(simulator, tmp_path, token):
    sim = simulator(seed=42, counts={"deals": 5}, token=TOKEN)
    outcome = run_cli(tmp_path, *run_args(sim, tmp_path), token=token)
    error = one_error_line(outcome)
    expected = ("401", "No Pipedrive API token", "token contains spaces, line breaks or non-ASCII")
    assert any(text in error for text in expected) and sim.stats["requests"] <= 1
    if token.strip():
        assert token not in outcome.stdout + outcome.stderr


def test_token_revoked_mid_sync_fails_clearly_then_a_new_token_converges(simulator, tmp_path):
    """An expired or revoked token while paging: one 401, one message, nothing half committed."""
    sim = simulator(seed=43, counts=HOSTILE_ACCOUNT, token=TOKEN)
    assert sync(sim, tmp_path).complete
    for deal_id in live_ids(sim, "deals")[:10]:
        sim.update("deals", deal_id, {"title": f"Edited {deal_id}"})
    sim.advance(60)

    def revoke_after_connection_check(request) -> None:
        if request.path.startswith("/api/v2/"):
            sim.server.tokens.pop(TOKEN, None)

    remove = sim.on_request(revoke_after_connection_check)
    try:
        error = one_error_line(run_cli(tmp_path, *run_args(sim, tmp_path)))
    finally:
        remove()
    assert "401" in error and TOKEN not in error
    sim.server.tokens["rotated-token-2"] = "token-1"
    assert sync(sim, tmp_path, api_token="rotated-token-2").complete
    assert_matches_truth(sim, tmp_path)


def test_unreachable_host_fails_clearly(tmp_path):
    """A wrong company domain ends at an address that does not answer: a closed loopback port."""
    with pytest.raises(ApiError, match="connection problem") as failure:
        sync_target = f"http://127.0.0.1:{closed_port()}"
        from pipelines.sync import run_sync
        from tests.sync.helpers import FAST_RETRY

        run_sync(
            base_url=sync_target,
            api_token=TOKEN,
            duckdb_path=db_path(tmp_path),
            pipelines_dir=tmp_path / "state",
            retry=FAST_RETRY,
        )
    assert TOKEN not in str(failure.value)


def test_malformed_config_file_is_one_clear_error(simulator, tmp_path):
    sim = simulator(seed=44, counts={"deals": 5}, token=TOKEN)
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text('[sources.pipedrive]\nbase_url = "http://x\n')
    outcome = run_cli(tmp_path, "run", "--duckdb", str(db_path(tmp_path)))
    error = one_error_line(outcome)
    assert "config.toml" in error
    assert sim.stats["requests"] == 0


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ('v1_list_entities = "deals,dealz"', "v1_list_entities names dealz"),
        ('base_url = "not a url"', "'not a url' is not an http(s) address"),
        ("base_url = 12", "'12' is not an http(s) address"),
        ('duckdb_memory_limit = "lots"', "duckdb_memory_limit 'lots' is not a DuckDB memory size"),
    ],
)
def test_bad_config_values_are_one_clear_error(simulator, tmp_path, setting, expected):
    sim = simulator(seed=48, counts={"deals": 5}, token=TOKEN)
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text(f"[sources.pipedrive]\n{setting}\n")
    address = [] if "base_url" in setting else ["--base-url", sim.base_url]
    outcome = run_cli(tmp_path, "run", "--duckdb", str(db_path(tmp_path)), *address)
    assert expected in one_error_line(outcome)
    assert sim.stats["requests"] == 0 and not db_path(tmp_path).exists()


# ---- data ------------------------------------------------------------------------------------


def test_non_json_bodies_on_one_endpoint_fail_clearly(simulator, tmp_path):
    sim = simulator(seed=45, counts=HOSTILE_ACCOUNT, token=TOKEN)
    # a proxy's HTML login page with status 200, then bodies cut short
    sim.set_faults(html_rate=1.0, html_status=200, path_prefix="/api/v2/persons", seed=3)
    with pytest.raises(PipedriveError, match="/api/v2/persons.*truncated or non-JSON body"):
        sync(sim, tmp_path)
    sim.set_faults()
    sim.set_faults(truncate_rate=1.0, path_prefix="/api/v2/persons", seed=3)
    with pytest.raises(PipedriveError, match="/api/v2/persons.*connection problem"):
        sync(sim, tmp_path)
    sim.set_faults()
    assert sync(sim, tmp_path).complete
    assert_matches_truth(sim, tmp_path)


def test_unexpected_types_unicode_huge_text_and_huge_enums_are_stored_exactly(simulator, tmp_path):
    sim = simulator(seed=46, counts=HOSTILE_ACCOUNT, token=TOKEN)
    assert sync(sim, tmp_path).complete  # columns get their types from well-behaved data first
    deals = live_ids(sim, "deals")
    persons = live_ids(sim, "persons")
    force_values(sim, "deals", deals[0], {"value": "12,50 EUR"})  # string where a number belongs
    force_values(sim, "deals", deals[1], {"title": {"en": "nested", "n": 1}})  # object for a scalar
    force_values(sim, "deals", deals[2], {"probability": [1, 2, 3]})  # array for a number
    force_values(sim, "deals", deals[3], {"stage_id": 3.5, "title": UNICODE})
    force_values(sim, "persons", persons[0], {"name": UNICODE * 3, "org_id": "not-an-id"})
    note = sim.truth("notes", include_deleted=False)[0]
    force_values(sim, "notes", note["id"], {"content": ("Ünïcødé ✓ " * 110_000)[:1_048_576]})  # 1 MiB
    huge_enum = sim.add_field(
        "deal_fields", "Region (10k options)", "enum", [f"Region {n}" for n in range(10_000)]
    )
    sim.advance(3600)  # field lists are re-read every slow_refresh_minutes (60), not every run
    result = sync(sim, tmp_path)
    assert result.complete
    # values that do not fit their column's type sit beside it, as JSON text, nothing coerced
    misfits = {
        ("deals", deals[0], "value"),
        ("deals", deals[2], "probability"),
        ("deals", deals[3], "stage_id"),
        ("persons", persons[0], "org_id"),
    }
    for entity, record_id, column in misfits:
        row = next(row for row in raw_rows(tmp_path, entity) if row["id"] == record_id)
        assert (
            row[column] is None
            and orjson.loads(row[column + "__v_json"]) == sim.get(entity, record_id)[column]
        )
    for entity in ("deals", "persons"):
        expected = [_as_stored(record, entity, misfits) for record in sim.truth(entity)]
        assert not mismatches(tmp_path, entity, expected)
    assert not duplicate_ids(db_path(tmp_path))
    stored_note = next(row for row in raw_rows(tmp_path, "notes") if row["id"] == note["id"])
    assert len(stored_note["content"].encode()) == len(sim.get("notes", note["id"])["content"].encode())
    stored_field = next(
        row for row in raw_rows(tmp_path, "deal_fields") if row["field_code"] == huge_enum["field_code"]
    )
    assert len(orjson.loads(stored_field["options"])) == 10_000
    views = build_views(db_path(tmp_path))
    with duckdb.connect(str(views), read_only=True) as con:
        titles = dict(con.execute("SELECT id, title FROM pipedrive.deals").fetchall())
        dictionary = con.execute("SELECT count(*) FROM pipedrive.field_dictionary").fetchone()[0]
    assert titles[deals[3]] == UNICODE and dictionary > 0


def test_custom_field_whose_type_changes_and_field_deleted_with_data_left(simulator, tmp_path):
    sim = simulator(seed=47, counts=HOSTILE_ACCOUNT, token=TOKEN)
    score = sim.add_field("deal_fields", "Score", "double")
    deals = live_ids(sim, "deals")
    for deal_id in deals[:10]:
        sim.update("deals", deal_id, {"custom_fields": {score["field_code"]: 7.5}})
    doomed = sim.add_field("deal_fields", "Legacy code", "varchar")
    for deal_id in deals[10:20]:
        sim.update("deals", deal_id, {"custom_fields": {doomed["field_code"]: f"L-{deal_id}"}})
    sim.advance(60)
    assert sync(sim, tmp_path).complete

    # the same key now holds text (an integration rewrote the field), and "Legacy code" is deleted:
    # rows not re-read keep its values in raw, upstream they are gone
    with sim.store.lock:
        sim.store.field_registry("deal_fields").get(score["field_code"])["field_type"] = "varchar"
    for deal_id in deals[:5]:
        force_values(sim, "deals", deal_id, {"custom_fields": {score["field_code"]: "seven and a half"}})
    sim.delete_field("deal_fields", doomed["field_code"])
    sim.advance(60)
    assert sync(sim, tmp_path, slow_refresh_minutes=0).complete  # field lists read now, not within the hour
    assert_matches_truth(sim, tmp_path)
    kept = [
        row for row in raw_rows(tmp_path, "deals") if doomed["field_code"] in (row["custom_fields"] or "")
    ]
    assert kept  # raw keeps what was read; nothing was silently dropped
    views = build_views(db_path(tmp_path))
    with duckdb.connect(str(views), read_only=True) as con:
        columns = {row[0] for row in con.execute("DESCRIBE pipedrive.deals").fetchall()}
        assert "score" in columns and "legacy_code" not in columns
        scores = dict(con.execute("SELECT id, score FROM pipedrive.deals").fetchall())
    assert str(scores[deals[0]]) == "seven and a half" and str(scores[deals[7]]) in ("7.5", "7.50")


def _as_stored(record: dict, entity: str, misfits: set) -> dict:
    """The record as the raw table holds it: a misfit value moved to its `__v_json` column."""
    for misfit_entity, record_id, column in misfits:
        if misfit_entity == entity and record["id"] == record_id:
            record = {**record, column: None, column + "__v_json": orjson.dumps(record[column]).decode()}
    return record
