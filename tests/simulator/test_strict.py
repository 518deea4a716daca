"""Strict mode, and the contract behind it: the simulator's declared query parameters, enum values
and token costs equal the official specs', and the suite-wide request check catches off-spec
requests. The comparisons with the spec files skip (one line says how to get them) without them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from simulator.clock import SimClock
from simulator.contract import DECLARED, DEPRECATED_V1, canonical
from simulator.control import build_router
from simulator.server import RequestLog, ServedRequest
from simulator.store import Store
from sources.pipedrive.costs import token_cost
from sources.pipedrive.entities import CHILDREN, ENTITIES
from tests.simulator.api import Api
from tests.spec_contract import REPO, SPECS_MISSING, load_contract, off_spec

#: The deprecated v1 endpoints left the spec with their costs; the API notes give v1 list 20, item 2.
DEPRECATED_COST = {path: 2 if path.endswith("{id}") else 20 for _, path in DEPRECATED_V1}


@pytest.fixture(scope="module")
def contract():
    found = load_contract()
    if found is None:
        pytest.skip(SPECS_MISSING)
    return found


@pytest.fixture(scope="module")
def routes():
    """Every route the simulator serves, by name (v1 under `/v1`)."""
    router = build_router(Store(SimClock(0), seed=1))
    return {canonical(route.name): route for route in [*router.routes, *router._literal.values()]}


def test_strict_mode_answers_400_with_pipedrives_error_body(simulator):
    # off-spec on purpose: its own log keeps these requests out of the suite's check
    api = Api(simulator(seed=2, counts={"deals": 5}, strict=True, request_log=RequestLog()))
    for path, params in (
        ("/api/v2/deals", {"updated_after": "2024-01-01T00:00:00Z"}),  # undeclared parameter
        ("/api/v2/products", {"updated_since": "2024-01-01T00:00:00Z"}),  # declared elsewhere only
        ("/api/v2/deals", {"sort_direction": "sideways"}),  # enum value out of range
        ("/api/v2/deals", {"status": "open,archived"}),  # one item of a comma list out of range
        ("/v1/users", {"start": 0}),  # v1 users declare no paging
        ("/v1/leads", {"sort": "colour DESC"}),
    ):
        response = api.get(path, **params)
        assert response.status_code == 400, (path, params)
        body = response.json()
        assert body["success"] is False and body["data"] is None and body["additional_data"] is None
        assert next(iter(params)) in body["error"] and body["error_info"]


def test_strict_mode_accepts_what_the_specs_declare(simulator):
    sim = simulator(seed=2, counts={"deals": 5}, strict=True)
    api = Api(sim)
    assert api.get("/api/v2/deals", status="open,won,lost,deleted", sort_by="update_time").ok
    assert api.get("/api/v2/products", sort_by="update_time", sort_direction="desc", limit=2).ok
    assert api.get("/v1/leads", sort="update_time DESC", limit=5).ok  # a sort list: field and mode
    assert api.get("/v1/leads/archived", sort="add_time").ok
    response = api.session.get(f"{sim.base_url}/v1/users", params={"api_token": sim.token}, timeout=10)
    assert response.ok  # the legacy auth parameter is not a spec violation


def test_strict_mode_is_off_by_default_and_switchable(simulator):
    sim = simulator(seed=2, counts={"deals": 5}, strict=False, request_log=RequestLog())
    api = Api(sim)
    assert api.get("/api/v2/deals", extra="ignored").ok  # clients by others may send extras
    sim.strict = True
    assert api.get("/api/v2/deals", extra="ignored").status_code == 400
    sim.strict = False
    assert api.get("/api/v2/deals", extra="ignored").ok
    product_default = subprocess.run(
        [sys.executable, "-c", "from simulator.control import Simulator; print(Simulator.default_strict)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert product_default.stdout.strip() == "False"  # the suite turns it on (tests/conftest.py)


def test_declared_query_parameters_equal_the_specs(contract, routes):
    for name in routes:
        method, path = name.split(" ", 1)
        operation = contract.find(method, path)
        assert operation is not None, f"{name}: served, but no spec (nor the v1 reference) declares it"
        assert DECLARED.get(name, {}) == operation.params, name
    assert set(DECLARED) <= set(routes), "declarations for routes the simulator does not serve"


def test_each_route_charges_the_specs_token_cost(contract, routes):
    for name, route in routes.items():
        method, path = name.split(" ", 1)
        operation = contract.find(method, path)
        expected = operation.cost if operation.cost is not None else DEPRECATED_COST[operation.path]
        assert route.token_cost == expected, name


def test_the_syncs_cost_table_equals_the_specs(contract):
    paths = {stream.path for entity in ENTITIES for stream in (*entity.streams, *entity.v1_streams)}
    paths |= {child.path for child in CHILDREN.values()} | {"/v1/users/me"}
    for path in sorted(paths):
        operation = contract.find("GET", path)
        expected = operation.cost if operation.cost is not None else DEPRECATED_COST[operation.path]
        assert token_cost(path) == expected, path


def test_off_spec_requests_are_caught(contract, simulator):
    """The check every test runs after itself (tests/conftest.py) fails on each kind of off-spec
    request, and passes on-spec ones."""
    log = RequestLog()
    api = Api(simulator(seed=2, counts={"deals": 5}, strict=False, request_log=log))
    api.get("/api/v2/deals", sort_by="update_time", status="open,deleted", limit=5)
    api.get("/v1/users")
    assert off_spec(log.drain()) == []

    api.get("/api/v2/products", updated_since="2024-01-01T00:00:00Z")
    api.get("/api/v2/deals", sort_direction="up")
    api.get("/v1/currencies", start=0, limit=500)
    problems = off_spec(log.drain())
    assert len(problems) == 4, problems
    assert any("'updated_since' is not declared" in line for line in problems)
    assert any("sort_direction='up'" in line for line in problems)
    assert any("'start' is not declared" in line for line in problems)
    fabricated = ServedRequest("GET", "/api/v2/deals/5/flow", "GET /api/v2/deals/{id}/flow", {})
    assert off_spec([fabricated]) == ["GET /api/v2/deals/5/flow: not an operation of the official specs"]


@pytest.mark.slow  # a test session of its own, in a subprocess
def test_a_test_that_sends_an_off_spec_request_fails(contract, pytester, monkeypatch):
    """The suite-wide wiring end to end: a test whose sync-like code sends an undeclared parameter
    to a (strict, logging) simulator fails, even though it never looks at the answer."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makeconftest((REPO / "tests" / "conftest.py").read_text())
    pytester.makepyfile(
        test_inner="""
        import requests
        from simulator.control import Simulator

        def products(params):
            with Simulator.start(seed=1, counts={"deals": 2}) as sim:
                url = sim.base_url + "/api/v2/products"
                requests.get(url, params=params, headers={"x-api-token": sim.token}, timeout=10)

        def test_sends_an_undeclared_parameter():
            products({"updated_since": "2024-01-01T00:00:00Z"})

        def test_sends_only_declared_parameters():
            products({"sort_by": "update_time"})
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*requests the official specs do not declare*", "*'updated_since' is not declared*"]
    )
