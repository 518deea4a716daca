"""`pipedrive-sync --help` (and every command's help) must not load the sync's heavy libraries:
dlt, pyarrow, pandas, DuckDB and plotly are imported where they are used. Checked on the modules a
fresh interpreter has loaded, not on timings (those are in `make bench`)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

HEAVY = ("dlt", "pyarrow", "pandas", "duckdb", "plotly", "numpy")


def loaded_after(code: str, watched: tuple[str, ...] = HEAVY) -> list[str]:
    """The `watched` (heavy) modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {watched!r} if m in sys.modules)))"
    finished = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(finished.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_library():
    assert loaded_after("import pipelines.cli") == []


def test_importing_the_cli_loads_no_simulator_server():
    """The simulator command's option defaults live in `simulator/__init__.py`: building the CLI (every
    command's start-up, `status` included) must not load the server, its store or its rate limiter."""
    server = ("simulator.store", "simulator.ratelimit", "simulator.control", "simulator.generate")
    assert loaded_after("import pipelines.cli", server) == []


@pytest.mark.parametrize(
    "command", [[], ["run"], ["status"], ["report"], ["transform"], ["simulator"], ["demo"]]
)
def test_help_loads_no_heavy_library(command):
    code = (
        "from pipelines.cli import main\n"
        f"try:\n    main({[*command, '--help']!r})\nexcept SystemExit as done:\n    assert done.code == 0"
    )
    assert loaded_after(code) == []


@pytest.mark.slow
def test_status_of_a_synced_database_loads_no_dlt_pyarrow_or_pandas(simulator, tmp_path):
    from pipelines.sync import run_sync

    sim = simulator(seed=3, counts={"deals": 40})
    database = tmp_path / "crm.duckdb"
    assert run_sync(sim.base_url, sim.token, database).complete
    code = (
        "from pipelines.cli import main\n"
        f"try:\n    main(['status', '--duckdb', {str(database)!r}])\nexcept SystemExit as done:\n"
        "    assert done.code in (0, None), done.code"
    )
    # DuckDB's engine reads the file; not even DuckDB's Python layer (about 100 ms of start-up) is loaded
    assert loaded_after(code, (*HEAVY, "_duckdb")) == ["_duckdb"]


@pytest.mark.slow
def test_status_opens_the_database_once(simulator, tmp_path, monkeypatch):
    """Opening a DuckDB file is a good part of `status`'s start-up: it checks and reads in one go."""
    from pipelines import status
    from pipelines.status import read_status
    from pipelines.sync import run_sync

    sim = simulator(seed=3, counts={"deals": 20})
    database = tmp_path / "crm.duckdb"
    assert run_sync(sim.base_url, sim.token, database).complete
    opened = []
    connect = status.duckdb.connect
    monkeypatch.setattr(
        status.duckdb, "connect", lambda *args, **kwargs: opened.append(args) or connect(*args, **kwargs)
    )
    report = read_status(database)
    assert [table.name for table in report.tables if table.name == "deals"] == ["deals"]
    assert len(opened) == 1


@pytest.mark.slow
def test_a_sync_loads_no_pandas(simulator, tmp_path):
    """pyarrow would import pandas (about 30 MB of peak RSS and half a CPU second) at the sync's first
    Arrow conversion, only to ask whether a list is a pandas object: the sync keeps it from doing so."""
    sim = simulator(seed=3, counts={"deals": 40})
    database = tmp_path / "crm.duckdb"
    code = (
        "from pipelines.sync import run_sync\n"
        f"assert run_sync({sim.base_url!r}, {sim.token!r}, {str(database)!r}, transform=True).complete"
    )
    assert loaded_after(code, ("pandas",)) == []
