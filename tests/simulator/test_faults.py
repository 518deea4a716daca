import time

import pytest
import requests

from simulator.control import Simulator


@pytest.fixture(scope="module")
def sim():
    with Simulator.start(seed=61, counts={"deals": 40}) as sim:
        yield sim


@pytest.fixture(autouse=True)
def no_faults_after(sim):
    yield
    sim.set_faults()


def get(sim, path="/api/v2/deals?limit=50", session=None):
    return (session or requests).get(sim.base_url + path, headers={"x-api-token": sim.token}, timeout=10)


def test_faults_are_off_by_default(sim):
    assert all(get(sim).status_code == 200 for _ in range(20))


def test_json_server_errors(sim):
    sim.reset_stats()
    sim.set_faults(error_rate=1.0, error_statuses=(503,))
    response = get(sim)
    assert response.status_code == 503
    assert response.json()["success"] is False
    assert sim.stats["endpoints"]["GET (fault: error)"] == {"requests": 1, "tokens": 0, "statuses": {503: 1}}


def test_html_error_pages(sim):
    sim.set_faults(html_rate=1.0, error_statuses=(502,))
    response = get(sim)
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()


def test_connection_resets(sim):
    sim.set_faults(reset_rate=1.0)
    with pytest.raises(requests.exceptions.ConnectionError):
        get(sim)


def test_truncated_bodies(sim):
    sim.set_faults(truncate_rate=1.0)
    with pytest.raises(requests.exceptions.RequestException):
        get(sim)


def test_slow_bodies_arrive_complete_but_late(sim):
    expected = get(sim).content
    sim.set_faults(slow_body_rate=1.0, slow_body_ms=300)
    started = time.monotonic()
    response = get(sim)
    assert time.monotonic() - started >= 0.25
    assert response.content == expected


def test_latency_and_jitter(sim):
    sim.set_faults(latency_ms=120, jitter_ms=30)
    started = time.monotonic()
    assert get(sim).status_code == 200
    assert time.monotonic() - started >= 0.12


def test_share_of_errors_is_seeded_and_reproducible(sim):
    def run() -> list[int]:
        sim.set_faults(error_rate=0.3, seed=9)
        session = requests.Session()
        return [get(sim, "/api/v2/pipelines", session).status_code for _ in range(60)]

    first, second = run(), run()
    assert first == second
    assert 8 <= first.count(200) <= 52 and set(first) > {200}
    assert set(first) <= {200, 500, 502, 503}


def test_faults_can_target_a_path(sim):
    sim.set_faults(error_rate=1.0, path_prefix="/api/v2/persons")
    assert get(sim, "/api/v2/persons").status_code >= 500
    assert get(sim, "/api/v2/deals").status_code == 200


def test_a_session_recovers_after_faults(sim):
    session = requests.Session()
    sim.set_faults(reset_rate=1.0)
    with pytest.raises(requests.exceptions.ConnectionError):
        get(sim, session=session)
    sim.set_faults()
    assert get(sim, session=session).status_code == 200


def test_rates_above_one_are_refused(sim):
    with pytest.raises(ValueError):
        sim.set_faults(error_rate=0.7, reset_rate=0.5)
    with pytest.raises(ValueError):
        sim.set_faults(no_such_fault=1.0)
