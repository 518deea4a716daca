"""The HTTP client against a scripted server: auth, retries, 429s, a spent budget."""

import pytest

from sources.pipedrive.client import PipedriveClient, RetryPolicy
from sources.pipedrive.errors import AuthenticationError, BudgetExhaustedError
from tests.sync.stub_server import StubServer

TOKEN = "s3cr3t-token-value"
FAST = RetryPolicy(backoff_s=0.001, max_backoff_s=0.01)
OK = (200, {"content-type": "application/json"}, b'{"success": true, "data": [{"id": 1}]}')


def test_token_goes_in_the_header_only_and_is_counted():
    with StubServer() as server:
        server.script = [OK]
        client = PipedriveClient(server.base_url, TOKEN, retry=FAST)
        assert client.get_json("/api/v2/deals", {"limit": 500})["data"] == [{"id": 1}]
    (request,) = server.seen
    assert TOKEN not in request["path"]
    assert request["headers"]["x-api-token"] == TOKEN
    assert client.usage.total_requests == 1 and client.usage.total_tokens == 10


def test_bad_token_fails_once_without_retries():
    with StubServer() as server:
        server.script = [(401, {}, b'{"success": false, "error": "unauthorized access"}')] * 5
        client = PipedriveClient(server.base_url, TOKEN, retry=FAST)
        with pytest.raises(AuthenticationError) as failure:
            client.get_json("/api/v2/deals")
    assert len(server.seen) == 1
    assert TOKEN not in str(failure.value) and "401" in str(failure.value)


def test_server_errors_truncated_bodies_and_burst_429s_are_retried():
    with StubServer() as server:
        server.script = [
            (500, {}, b"oops"),
            (200, {}, b'{"success": true, "da'),
            (429, {"retry-after": "0.01"}, b'{"success": false, "error": "Rate limit exceeded"}'),
            (503, {}, b""),
            OK,
        ]
        client = PipedriveClient(server.base_url, TOKEN, retry=FAST)
        assert client.get_json("/api/v2/deals")["data"] == [{"id": 1}]
    assert len(server.seen) == 5 and client.usage.total_requests == 5


def test_spent_daily_budget_stops_at_once_with_the_reset_time():
    headers = {"x-daily-ratelimit-token-remaining": "0", "date": "Mon, 23 Nov 2026 21:30:00 GMT"}
    with StubServer() as server:
        server.script = [(429, headers, b'{"success": false, "error": "Daily limit reached"}')] * 3
        client = PipedriveClient(server.base_url, TOKEN, retry=FAST)
        with pytest.raises(BudgetExhaustedError) as stop:
            client.get_json("/api/v2/deals")
        with pytest.raises(BudgetExhaustedError):  # later calls do not even ask again
            client.get_json("/api/v2/persons")
    assert len(server.seen) == 1
    assert "2026-11-24 00:00 UTC" in str(stop.value) and "2.5 h" in str(stop.value)


def test_html_403_is_treated_as_a_spent_budget():
    with StubServer() as server:
        server.script = [(403, {"content-type": "text/html"}, b"<html>Too many requests</html>")]
        client = PipedriveClient(server.base_url, TOKEN, retry=FAST)
        with pytest.raises(BudgetExhaustedError):
            client.get_json("/api/v2/deals")
    assert len(server.seen) == 1
