"""Shared fixtures for every test area.

`simulator` is a factory: `sim = simulator(seed=3, counts={"deals": 50}, plan="lite")` starts an
in-process Pipedrive simulator on a free port (arguments as `Simulator.start`), and every
simulator it started is stopped after the test.

Slow tests (a whole sync, a subprocess, a browser, a database server) carry the `slow` marker:
`make check` leaves them out, `make test` runs everything. Whole areas are slow by nature
(`SLOW_AREAS`); a module that runs whole syncs (it uses `tests.sync.helpers.sync` or
`pipelines.sync.run_sync`) is slow as a whole; elsewhere a module says
`pytestmark = pytest.mark.slow`, or a test `@pytest.mark.slow`.

Every simulator the tests start is strict (`simulator.contract`: a query parameter or enum value
the official specs do not declare is a 400) and logs the requests it serves; after each test they
are checked against the official specs themselves (`tests/spec_contract.py`), so the sync cannot
send a request that real Pipedrive does not document. A test that sends off-spec requests on
purpose starts its simulator with `strict=False`, which also keeps its requests out of the log.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.control import Simulator
from simulator.server import RequestLog
from tests.spec_contract import SPECS_MISSING, off_spec, specs_dir

pytest_plugins = ["pytester"]  # tests/simulator/test_strict.py runs a test session of its own
SERVED = RequestLog()
SLOW_AREAS = ("reliability", "postgres", "report", "bench")
WHOLE_SYNC_MODULES = ("tests.sync.helpers", "pipelines.sync")
TESTS_DIR = Path(__file__).parent


def pytest_configure(config) -> None:
    Simulator.default_strict = True
    Simulator.default_request_log = SERVED


def pytest_terminal_summary(terminalreporter) -> None:
    if specs_dir() is None:
        terminalreporter.write_line(f"requests not checked against the specs: {SPECS_MISSING}")


@pytest.fixture(autouse=True)
def requests_on_spec():
    """After each test: every request a strict simulator served since the last check is on-spec."""
    yield
    problems = off_spec(SERVED.drain())
    if problems:
        pytest.fail("requests the official specs do not declare:\n  " + "\n  ".join(problems[:20]))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        area = item.path.relative_to(TESTS_DIR).parts[0]
        if area in SLOW_AREAS or _runs_whole_syncs(getattr(item, "module", None)):
            item.add_marker(pytest.mark.slow)


def _runs_whole_syncs(module) -> bool:
    """Told by what the module imports, so that a new module of whole syncs is slow at once."""
    runners = (getattr(module, name, None) for name in ("sync", "run_sync"))
    return any(getattr(runner, "__module__", None) in WHOLE_SYNC_MODULES for runner in runners)


@pytest.fixture
def simulator():
    """A factory taking `Simulator.start` arguments; every simulator it made stops after the test."""
    started: list[Simulator] = []

    def start(**kwargs) -> Simulator:
        sim = Simulator.start(**kwargs)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()
