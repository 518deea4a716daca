"""Shared fixtures for every test area.

`simulator` is a factory: `sim = simulator(seed=3, counts={"deals": 50}, plan="lite")` starts an
in-process Pipedrive simulator on a free port (arguments as `Simulator.start`), and every
simulator it started is stopped after the test.
"""

from __future__ import annotations

import pytest

from simulator.control import Simulator


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
