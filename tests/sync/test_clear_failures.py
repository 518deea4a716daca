"""Issue 12, "stopping and failing": every mistake ends in one `Error:` line with a hint and a
documented exit code, never a traceback and never silence; nothing is created or modified on the way.
Each test reproduces a case that gave a traceback, silence or a wrong exit code before."""

from __future__ import annotations

import os
import re
import socket
import time
import traceback
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from click.testing import CliRunner

import sources.pipedrive.client
from pipelines.cli import main
from pipelines.settings import without_api_path
from pipelines.status import ago, stream_labels
from pipelines.sync import pipeline_name_for
from shared.failures import EXIT_TRY_LATER
from tests.reliability.helpers import run_cli
from tests.sync.helpers import FAST_RETRY, sync

TOKEN = "clear-failures-token"
TINY = {"deals": 20, "persons": 10, "organizations": 5, "activities": 10, "notes": 5, "leads": 5}


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """`pipedrive-sync <args>` in this process, in tmp_path, with fast retries; returns
    (exit code, stdout, stderr), an escaped exception's traceback appended to stderr."""
    monkeypatch.chdir(tmp_path)
    for name in ("PIPEDRIVE_API_TOKEN", "SOURCES__PIPEDRIVE__API_TOKEN", "SOURCES__PIPEDRIVE__BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sources.pipedrive.client, "RetryPolicy", lambda: FAST_RETRY)

    def invoke(*args: str) -> SimpleNamespace:
        result = CliRunner().invoke(main, list(args), env={"PIPEDRIVE_API_TOKEN": TOKEN})
        stderr = result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            stderr += "Traceback\n" + "".join(traceback.format_exception(result.exception))
        return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=stderr)

    return invoke


def run_args(sim, *extra: str) -> list[str]:
    return ["run", "--base-url", sim.base_url, "--duckdb", "crm.duckdb", *extra]


def error_line(outcome, code: int = 1) -> str:
    assert outcome.returncode == code, (outcome.returncode, outcome.stderr[-2000:])
    assert "Traceback" not in outcome.stderr, outcome.stderr[-3000:]
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, outcome.stderr
    return errors[0]


# ---- exit codes ------------------------------------------------------------------------------


@pytest.mark.slow
def test_spent_budget_exits_75_and_usage_errors_keep_2(cli, simulator, tmp_path):
    sim = simulator(seed=3, counts=TINY, token=TOKEN, plan="lite", daily_budget=30)
    spent = cli(*run_args(sim))
    assert spent.returncode == EXIT_TRY_LATER == 75, spent.stderr[-2000:]
    assert "budget" in spent.stderr and "Traceback" not in spent.stderr
    usage = cli("run", "--no-such-option")
    assert usage.returncode == 2
    helped = cli("run", "--help")
    assert "75" in helped.stdout and "130/143" in helped.stdout
    assert "75" in cli("--help").stdout


def test_every_needs_a_unit(cli, tmp_path):
    outcome = cli("run", "--every", "15")
    assert outcome.returncode == 2 and "30s, 15m, 2h, 1d" in outcome.stderr
    assert not (tmp_path / "crm.duckdb").exists()


@pytest.mark.slow
@pytest.mark.parametrize("since", ["2000-01-01T00:00:00Z", "2000-01-01T02:00:00+02:00", "2000-01-01"])
def test_since_accepts_what_status_prints(cli, simulator, tmp_path, since):
    sim = simulator(seed=4, counts=TINY, token=TOKEN)
    outcome = cli(*run_args(sim, "--resources", "deals", "--since", since))
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    assert re.search(rf"^\s+deals\s+{sim.count('deals')}$", outcome.stdout, re.MULTILINE), outcome.stdout


# ---- the database path -----------------------------------------------------------------------


def test_missing_folder_is_one_line_and_creates_nothing(cli, simulator, tmp_path):
    sim = simulator(seed=5, counts=TINY, token=TOKEN)
    target = tmp_path / "no" / "such" / "crm.duckdb"
    error = error_line(cli("run", "--base-url", sim.base_url, "--duckdb", str(target)))
    assert "does not exist" in error and str(target.parent) in error
    assert not (tmp_path / "no").exists() and sim.stats["requests"] == 0


def read_only_folder(tmp_path: Path) -> Path:
    """A folder nobody may write in: chmod for ordinary users; root ignores modes, so /sys then."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    return Path("/sys")


def test_read_only_folder_is_one_line(cli, simulator, tmp_path):
    sim = simulator(seed=6, counts=TINY, token=TOKEN)
    target = read_only_folder(tmp_path) / "crm.duckdb"
    error = error_line(cli("run", "--base-url", sim.base_url, "--duckdb", str(target)))
    assert "Cannot write in" in error and "--duckdb" in error
    assert sim.stats["requests"] == 0


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_damaged_database_is_one_line_and_left_untouched(cli, simulator, tmp_path, damage):
    sim = simulator(seed=7, counts=TINY, token=TOKEN)
    target = tmp_path / "crm.duckdb"
    if damage == "garbage":
        target.write_bytes(os.urandom(64 * 1024))
    elif damage == "empty":
        target.write_bytes(b"")
    else:
        with duckdb.connect(str(target)) as con:
            con.execute("create table t as select range as n from range(100000)")
        target.write_bytes(target.read_bytes()[:20_000])
    before = target.read_bytes()
    for command in (run_args(sim), ["status", "--duckdb", str(target)]):
        error = error_line(cli(*command))
        assert "not a readable DuckDB database" in error and "untouched" in error
    assert cli("transform", "--duckdb", str(target)).returncode == 1
    assert target.read_bytes() == before and sim.stats["requests"] == 0
    assert not Path(f"{target}.wal").exists()


@pytest.mark.slow
def test_database_names_differing_in_punctuation_keep_their_own_state(cli, simulator, tmp_path):
    assert pipeline_name_for("x-y.duckdb") != pipeline_name_for("x_y.duckdb")
    assert pipeline_name_for("crm.duckdb") == "pipedrive_crm"  # existing databases keep their state
    sim = simulator(seed=8, counts=TINY, token=TOKEN)
    for name in ("x_y.duckdb", "x-y.duckdb"):
        outcome = cli("run", "--base-url", sim.base_url, "--duckdb", str(tmp_path / name))
        assert outcome.returncode == 0, outcome.stderr[-2000:]
        with duckdb.connect(str(tmp_path / name), read_only=True) as con:  # a full sync each, not 0 rows
            assert con.execute("select count(*) from pipedrive_raw.deals").fetchone()[0] == sim.count("deals")


# ---- status ---------------------------------------------------------------------------------


def test_status_on_a_missing_or_empty_database(cli, tmp_path):
    assert "No database at" in error_line(cli("status", "--duckdb", "typo.duckdb"))
    assert not (tmp_path / "typo.duckdb").exists()
    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    assert "no synced data yet" in error_line(cli("status", "--duckdb", "empty.duckdb"))


@pytest.mark.slow
def test_status_while_a_sync_writes_is_one_line(simulator, tmp_path):
    sim = simulator(seed=9, counts=TINY, token=TOKEN)
    assert sync(sim, tmp_path).complete
    with duckdb.connect(str(tmp_path / "pipedrive.duckdb")):  # a writer holds it, as a loading sync does
        outcome = run_cli(tmp_path, "status", "--duckdb", "pipedrive.duckdb")  # another process
        error = error_line(outcome)
    assert "writing" in error and "again" in error


@pytest.mark.slow
def test_status_reads_like_a_report(cli, simulator, tmp_path):
    sim = simulator(seed=10, counts=TINY, token=TOKEN)
    result = sync(sim, tmp_path)
    outcome = cli("status", "--duckdb", "pipedrive.duckdb", "--pipelines-dir", "state")
    assert outcome.returncode == 0, outcome.stderr
    lines = outcome.stdout.splitlines()
    last_run = next(line for line in lines if line.startswith("Last run:"))
    assert "just now" in last_run and f"{result.tokens:,} API tokens used" in last_run
    assert f"{result.requests:,} requests" in last_run
    assert not any("/api/v2/" in line or "/v1/" in line for line in lines)  # entity names, not URLs
    assert any(line.strip().startswith("deals ") and "ago)" in line for line in lines)


def test_relative_times_and_stream_names():
    now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    assert ago(now - timedelta(seconds=20), now) == "just now"
    assert ago(now - timedelta(minutes=3, seconds=5), now) == "3 min ago"
    assert ago(now - timedelta(hours=5), now) == "5 h ago"
    assert ago(now - timedelta(days=1, hours=1), now) == "1 day ago"
    assert ago(now - timedelta(days=40), now) == "40 days ago"
    assert ago(None, now) == "-"
    labels = stream_labels()
    assert "deals" in labels.values() and "deals (archived, v1 list)" in labels.values()


# ---- transform ------------------------------------------------------------------------------


def test_transform_never_creates_a_database_from_a_typo(cli, tmp_path):
    error = error_line(cli("transform", "--duckdb", "typo.duckdb"))
    assert "No database at typo.duckdb" in error
    assert not (tmp_path / "typo.duckdb").exists()


@pytest.fixture
def synced(simulator, tmp_path):
    sim = simulator(seed=11, counts=TINY, token=TOKEN)
    assert sync(sim, tmp_path).complete
    return sim


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "does not exist"),
        ("[deal_fields\nx = 'y'\n", "is not valid TOML"),
        ("[deal_feilds]\nabc = 'churn'\n", "unknown section [deal_feilds]"),
        ("[deal_fields]\nabc = 3\n", "must be a non-empty string"),
    ],
)
@pytest.mark.slow
def test_column_names_file_mistakes_are_one_line(cli, synced, tmp_path, text, expected):
    if text is not None:
        (tmp_path / "names.toml").write_text(text)
    outcome = cli("transform", "--duckdb", "pipedrive.duckdb", "--column-names", "names.toml")
    assert expected in error_line(outcome)


@pytest.mark.slow
def test_column_names_clash_is_one_line(cli, synced, tmp_path):
    custom = [field for field in synced.fields("deal_fields") if field["is_custom_field"]][:2]
    pins = "".join(f'{field["field_code"]} = "same_name"\n' for field in custom)
    (tmp_path / "names.toml").write_text(f"[deal_fields]\n{pins}")
    outcome = cli("transform", "--duckdb", "pipedrive.duckdb", "--column-names", "names.toml")
    assert "same_name" in error_line(outcome) and "pin another name" in error_line(outcome)


# ---- the address ----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["/api/v2", "/api/v1", "/v1", "/api/v2/", "/api", "/"])
def test_base_url_with_an_api_path_is_normalized(suffix):
    assert without_api_path("https://acme.pipedrive.com" + suffix) == "https://acme.pipedrive.com"


@pytest.mark.slow
def test_a_sync_given_an_api_path_runs_against_the_account(cli, simulator, tmp_path):
    sim = simulator(seed=12, counts=TINY, token=TOKEN)
    outcome = cli("run", "--base-url", sim.base_url + "/api/v2", "--duckdb", "crm.duckdb")
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    assert re.search(rf"connected to {re.escape(sim.base_url)}\b(?!/)", outcome.stderr)


def test_unresolvable_host_fails_fast_naming_it(cli, tmp_path):
    started = time.monotonic()
    error = error_line(cli("run", "--base-url", "https://no-such-company.invalid"))
    assert time.monotonic() - started < 15
    assert "no-such-company.invalid" in error and "resolve" in error
    assert not (tmp_path / "crm.duckdb").exists()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_host_shows_retries_and_names_the_host(cli, tmp_path):
    address = f"http://127.0.0.1:{closed_port()}"
    outcome = cli("run", "--base-url", address)
    error = error_line(outcome)
    assert f"Cannot reach {address}" in error and TOKEN not in error
    retries = [line for line in outcome.stderr.splitlines() if "retry" in line and "/v1/users/me" in line]
    assert len(retries) >= 3  # shown as they happen


def test_tls_failure_names_the_host_and_tls(cli, simulator, tmp_path):
    sim = simulator(seed=13, counts=TINY, token=TOKEN)
    address = sim.base_url.replace("http://", "https://")  # the simulator speaks plain HTTP
    outcome = cli("run", "--base-url", address)
    error = error_line(outcome)
    assert f"Cannot reach {address}" in error and "TLS" in error


def test_a_folder_where_the_database_should_be_is_one_line(cli, tmp_path):
    target = tmp_path / "crm.duckdb"
    target.mkdir()
    for command in ("status", "transform"):
        outcome = cli(command, "--duckdb", str(target))
        assert "not a readable DuckDB database" in error_line(outcome)
    assert target.is_dir() and not any(target.iterdir())
