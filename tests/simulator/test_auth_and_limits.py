import pytest
import requests

from tests.simulator.api import Api

pytestmark = pytest.mark.slow

ERROR_KEYS = {"success", "error", "error_info", "data", "additional_data"}


def test_missing_or_bad_token_is_a_401_with_pipedrive_body(simulator):
    sim = simulator(seed=51, counts={"deals": 3})
    url = f"{sim.base_url}/api/v2/deals"
    for headers in ({}, {"x-api-token": "wrong"}, {"Authorization": "Bearer wrong"}):
        response = requests.get(url, headers=headers, timeout=5)
        assert response.status_code == 401
        body = response.json()
        assert set(body) == ERROR_KEYS and body["success"] is False and body["data"] is None
        assert sim.token not in response.text
    assert requests.get(url, params={"api_token": "wrong"}, timeout=5).status_code == 401


def test_all_three_ways_to_present_the_token(simulator):
    sim = simulator(seed=52, counts={"deals": 3})
    url = f"{sim.base_url}/api/v2/deals"
    assert requests.get(url, headers={"x-api-token": sim.token}, timeout=5).status_code == 200
    assert requests.get(url, headers={"Authorization": f"Bearer {sim.token}"}, timeout=5).status_code == 200
    assert requests.get(url, params={"api_token": sim.token}, timeout=5).status_code == 200


def test_unknown_paths_and_methods(simulator):
    api = Api(simulator(seed=53, counts={"deals": 3}))
    missing = api.get("/api/v2/nothing-here")
    assert missing.status_code == 404 and set(missing.json()) == ERROR_KEYS
    assert api.request("PUT", "/api/v2/deals").status_code == 405


def test_no_rate_limit_headers_without_a_plan(simulator):
    api = Api(simulator(seed=54, counts={"deals": 3}))
    response = api.get("/api/v2/deals")
    assert "x-ratelimit-limit" not in response.headers


def test_burst_window_gives_429_with_headers_and_retry_after(simulator):
    sim = simulator(seed=55, counts={"deals": 3}, plan="lite")
    api = Api(sim)
    statuses, last_ok = [], None
    for _ in range(21):
        response = api.get("/api/v2/pipelines")
        statuses.append(response.status_code)
        if response.status_code == 200:
            last_ok = response
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    assert last_ok.headers["x-ratelimit-limit"] == "20"
    assert last_ok.headers["x-ratelimit-remaining"] == "0"
    assert 1 <= int(last_ok.headers["x-ratelimit-reset"]) <= 2
    assert last_ok.headers["x-daily-ratelimit-token-limit"] == "30000"
    assert last_ok.headers["x-daily-ratelimit-token-remaining"] == str(30000 - 20 * 5)
    limited = api.get("/api/v2/pipelines")
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 2
    body = limited.json()
    assert set(body) == ERROR_KEYS and body["success"] is False
    assert sim.stats["endpoints"]["GET /api/v2/pipelines"]["tokens"] == 100


def test_oauth_bearer_gets_four_times_the_burst(simulator):
    sim = simulator(seed=56, counts={"deals": 3}, plan="growth")
    response = requests.get(
        f"{sim.base_url}/api/v2/stages", headers={"Authorization": f"Bearer {sim.token}"}, timeout=5
    )
    assert response.headers["x-ratelimit-limit"] == "160"
    assert response.headers["x-daily-ratelimit-token-limit"] == "60000"


def test_ignoring_429s_ends_in_a_403_html_page(simulator):
    sim = simulator(seed=57, counts={"deals": 3}, plan="lite", burst_limit=2, penalty_limit=3)
    api = Api(sim)
    statuses = [api.get("/api/v2/pipelines").status_code for _ in range(6)]
    assert statuses[:3] == [200, 200, 429]
    assert statuses[3:5] == [429, 429]
    forbidden = api.get("/api/v2/pipelines")
    assert statuses[5] == 403 and forbidden.status_code == 403
    assert forbidden.headers["content-type"].startswith("text/html")
    assert forbidden.text.lstrip().startswith("<!DOCTYPE html>")


def test_daily_budget_charges_token_costs_and_resets_at_midnight(simulator):
    sim = simulator(seed=58, counts={"deals": 3}, plan="lite", daily_budget=25)
    api = Api(sim)
    assert api.get("/api/v2/deals").status_code == 200  # 10 tokens
    assert api.get("/api/v2/deals/1").status_code == 200  # 1 token
    second = api.get("/api/v2/deals")
    assert second.headers["x-daily-ratelimit-token-remaining"] == "4"
    spent = api.get("/api/v2/deals")
    assert spent.status_code == 429
    assert int(spent.headers["retry-after"]) == 86_400 - sim.now() % 86_400
    assert spent.json()["success"] is False
    assert sim.daily_tokens_remaining() == 4
    sim.advance(86_400 - sim.now() % 86_400)
    again = api.get("/api/v2/deals")
    assert again.status_code == 200
    assert again.headers["x-daily-ratelimit-token-remaining"] == "15"


def test_seats_and_plan_multiply_the_budget(simulator):
    sim = simulator(seed=59, counts={"deals": 3}, plan="premium", seats=3)
    response = Api(sim).get("/api/v2/deals")
    assert response.headers["x-daily-ratelimit-token-limit"] == str(30_000 * 5 * 3)
    assert response.headers["x-ratelimit-limit"] == "100"
