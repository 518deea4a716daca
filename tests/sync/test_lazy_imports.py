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


def loaded_after(code: str) -> list[str]:
    """The heavy modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    finished = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(finished.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_library():
    assert loaded_after("import pipelines.cli") == []


@pytest.mark.parametrize(
    "command", [[], ["run"], ["status"], ["report"], ["transform"], ["simulator"], ["demo"]]
)
def test_help_loads_no_heavy_library(command):
    code = (
        "from pipelines.cli import main\n"
        f"try:\n    main({[*command, '--help']!r})\nexcept SystemExit as done:\n    assert done.code == 0"
    )
    assert loaded_after(code) == []
