"""Shared fixtures for every test area.

`simulator` is a factory: `sim = simulator(seed=3, counts={"deals": 50}, plan="lite")` starts an
in-process Pipedrive simulator on a free port (arguments as `Simulator.start`), and every
simulator it started is stopped after the test.

Slow tests (a whole sync, a subprocess, a browser, a database server) carry the `slow` marker:
`make check` leaves them out, `make test` runs everything. Whole areas are slow by nature
(`SLOW_AREAS`); elsewhere a module says `pytestmark = pytest.mark.slow`, or a test
`@pytest.mark.slow`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.control import Simulator

SLOW_AREAS = ("reliability", "postgres", "report", "bench")
TESTS_DIR = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        area = item.path.relative_to(TESTS_DIR).parts[0]
        if area in SLOW_AREAS:
            item.add_marker(pytest.mark.slow)


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
