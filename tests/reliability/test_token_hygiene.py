"""The token must appear nowhere but in the request header: not in any output stream, log, dlt
state, load package or trace, and not in any text column of any DuckDB table."""

from __future__ import annotations

import signal

import duckdb
import pytest

from shared.failures import EXIT_TRY_LATER
from tests.reliability.helpers import (
    FULL_TESTS,
    SMALL_ACCOUNT,
    TOKEN,
    change_account,
    db_path,
    run_args,
    run_cli,
)

SECRET = "sec-9d41f07c2be84a5f"


def hits_in_tables(path, secret: str) -> list[str]:
    """Every text column of every table in every schema, searched for the secret."""
    found = []
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "SELECT c.database_name, c.schema_name, c.table_name, c.column_name FROM duckdb_columns() c "
            "JOIN duckdb_tables() t USING (database_name, schema_name, table_name) "
            "WHERE c.data_type = 'VARCHAR' AND NOT c.internal"
        ).fetchall()
        for catalog, schema, table, column in columns:
            query = f'SELECT count(*) FROM "{catalog}"."{schema}"."{table}" WHERE strpos("{column}", ?) > 0'
            if con.execute(query, [secret]).fetchone()[0]:
                found.append(f"{schema}.{table}.{column}")
        assert any(schema == "pipedrive_raw" for _, schema, _, _ in columns)  # the scan saw the data
    return found


# the token through dlt's own secrets file in `make test`; through the environment too in test-full
@pytest.mark.parametrize("how", ["environment", "secrets_toml"] if FULL_TESTS else ["secrets_toml"])
def test_token_is_in_no_output_file_state_trace_or_table(simulator, tmp_path, how):
    sim = simulator(seed=51, counts=SMALL_ACCOUNT, token=SECRET)
    if how == "secrets_toml":  # dlt resolves it itself: it must not land in its trace either
        (tmp_path / ".dlt").mkdir()
        (tmp_path / ".dlt" / "secrets.toml").write_text(f'[sources.pipedrive]\napi_token = "{SECRET}"\n')
        token = None
    else:
        token = SECRET
    outputs = []

    def run(*extra, **env):
        outcome = run_cli(
            tmp_path, *run_args(sim, tmp_path, *extra), token=token, RUNTIME__LOG_LEVEL="DEBUG", **env
        )
        outputs.append(outcome.stdout + outcome.stderr)
        return outcome

    assert run().returncode == 0
    change_account(sim)
    assert run(PIPEDRIVE_SYNC_CRASH_AT="load:20").returncode == -signal.SIGKILL  # leaves packages behind
    sim.set_faults(error_rate=1.0, error_statuses=(400,), path_prefix="/v1/leads")  # read every run
    assert run().returncode == 1  # a failure with its message
    sim.set_faults()
    sim.set_faults(html_rate=0.5, html_status=403, seed=5)
    assert run().returncode in (0, EXIT_TRY_LATER)  # a stop with its message
    sim.set_faults()
    sim.set_faults(error_rate=0.2, truncate_rate=0.1, seed=6)
    assert run("--reconcile").returncode == 0
    sim.set_faults()
    status = run_cli(
        tmp_path, "status", "--duckdb", str(db_path(tmp_path)), "--pipelines-dir", str(tmp_path / "state")
    )
    outputs.append(status.stdout + status.stderr)

    assert not [text for text in outputs if SECRET in text]
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.name == "trace.pickle" for path in files) and any(
        path.suffix == ".parquet" for path in files
    )
    leaking = [
        str(path) for path in files if path.name != "secrets.toml" and SECRET.encode() in path.read_bytes()
    ]
    assert not leaking
    assert not hits_in_tables(db_path(tmp_path), SECRET)
    assert TOKEN not in SECRET  # the suite's default token is not the one scanned for
