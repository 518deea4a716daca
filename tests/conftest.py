"""Shared fixtures. `simulator` starts in-process Pipedrive simulators on free ports:

def test_something(simulator):
    sim = simulator(seed=3, counts={"deals": 50}, plan="lite")
    requests.get(f"{sim.base_url}/api/v2/deals", headers={"x-api-token": sim.token})
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
