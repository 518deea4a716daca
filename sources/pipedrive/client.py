"""HTTP client for the Pipedrive API: pooled connections, retries, rate limits, usage (auth: `auth.py`).

The token travels only in the `x-api-token` header (or as an OAuth bearer); URLs, log lines and
exception messages never contain it.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from sources.pipedrive.auth import pipedrive_auth
from sources.pipedrive.costs import token_cost
from sources.pipedrive.errors import (
    ApiError,
    AuthenticationError,
    BudgetExhaustedError,
    ConfigurationError,
    UnreachableError,
)
from sources.pipedrive.rate_limit import BurstLimiter

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = (500, 502, 503, 504)


@dataclass
class Usage:
    """Requests and estimated tokens of one run, per endpoint (thread-safe)."""

    requests: Counter = field(default_factory=Counter)
    tokens: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, path: str, tokens: int) -> None:
        with self._lock:
            self.requests[path] += 1
            self.tokens[path] += tokens

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def total_tokens(self) -> int:
        return sum(self.tokens.values())


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8  # per request: 5xx, 429s, broken bodies
    backoff_s: float = 0.2
    max_backoff_s: float = 8.0
    max_rate_limit_wait_s: float = 60.0
    timeout_s: float = 60.0


def resolve_base_url(company_domain: str | None, base_url: str | None) -> str:
    if base_url:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(
                f"base_url {base_url!r} is not an http(s) address such as https://acme.pipedrive.com"
            )
        return base_url.strip().rstrip("/")
    if company_domain:
        domain = company_domain.strip().removeprefix("https://").split(".pipedrive.com")[0]
        return f"https://{domain}.pipedrive.com"
    raise ConfigurationError(
        "Pipedrive address missing: set sources.pipedrive.company_domain (e.g. 'acme') or "
        "sources.pipedrive.base_url (or --base-url)."
    )


class PipedriveClient:
    """GET JSON pages from Pipedrive, one shared instance per sync (threads share pool and limits)."""

    def __init__(
        self,
        base_url: str,
        api_token: str | None = None,
        oauth_access_token: str | None = None,
        retry: RetryPolicy | None = None,
        pool_size: int = 16,
        limiter: BurstLimiter | None = None,
        usage: Usage | None = None,
    ) -> None:
        auth = pipedrive_auth(api_token, oauth_access_token)  # first: a missing token opens nothing
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.limiter = limiter or BurstLimiter()
        self.usage = usage or Usage()
        self._stopped: BudgetExhaustedError | None = None
        self._server_date: str | None = None  # `Date` header of the latest answer
        self.session = requests.Session()
        self.session.auth = auth
        self.session.headers["Accept"] = "application/json"
        # urllib3 retries what it sees below HTTP (refused/reset connections, read timeouts); statuses and
        # bodies are judged in get_json so every attempt is counted and 429s are read properly.
        transport_retry = Retry(
            total=3,
            connect=3,
            read=3,
            status=0,
            allowed_methods=frozenset({"GET"}),
            backoff_factor=self.retry.backoff_s,
            backoff_max=self.retry.max_backoff_s,
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=transport_retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def close(self) -> None:
        self.session.close()

    def get_json(self, path: str, params: dict | None = None) -> dict:
        """One logical GET: retried on 5xx, resets, timeouts, truncated or non-JSON bodies and
        burst 429s; raises at once on 401, on a spent daily budget and on other 4xx."""
        url = self.base_url + path
        problem, answered = "no attempt made", False
        for attempt in range(1, self.retry.attempts + 1):
            cost = token_cost(path)
            self.limiter.wait_for_turn(cost, path)
            if self._stopped is not None:  # also when another thread learnt of it while we waited
                self.limiter.observe(None, cost)
                raise self._stopped
            try:
                response = self.session.get(url, params=params, timeout=self.retry.timeout_s)
                body = response.content
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                self.limiter.observe(None, cost)
                self.usage.count(path, cost)
                problem = f"connection problem ({type(exc).__name__})"
                self._backoff(attempt, path, problem)
                continue
            except BaseException:
                self.limiter.observe(None, cost)
                raise
            self.usage.count(path, cost)
            answered = True
            self._server_date = response.headers.get("date") or self._server_date
            try:
                outcome = self._judge(response, body, path)
            finally:  # only after the verdict, so a budget stop is known before anyone sends again
                self.limiter.observe(response.headers, cost)
            if isinstance(outcome, dict):
                return outcome
            problem = outcome
            if response.status_code != 429:
                self._backoff(attempt, path, problem)
        failure = ApiError if answered else UnreachableError
        raise failure(f"GET {path} failed after {self.retry.attempts} attempts: {problem}")

    def credentials_fingerprint(self) -> str:
        """Digest of this client's address and token (`auth.py`): equal while neither changed."""
        return self.session.auth.fingerprint(self.base_url)

    def server_time(self) -> datetime | None:
        """The server's clock at its latest answer (its `Date` header; None: it sent none)."""
        if not self._server_date:
            return None
        try:
            return parsedate_to_datetime(self._server_date).astimezone(timezone.utc)
        except (TypeError, ValueError):
            return None

    def server_now(self) -> datetime:
        """The API's clock as of its latest answer (our own clock before the first one)."""
        return _server_now(self._server_date)

    def _judge(self, response: requests.Response, body: bytes, path: str) -> dict | str:
        """The parsed page, or what went wrong when another attempt may help; raises otherwise."""
        status = response.status_code
        if status == 200:
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError:
                return "truncated or non-JSON body"
            return parsed if isinstance(parsed, dict) else "unexpected JSON shape"
        if status == 401:
            raise AuthenticationError(
                "Pipedrive rejected the API token (401 Unauthorized). Check sources.pipedrive.api_token "
                "/ PIPEDRIVE_API_TOKEN; nothing was retried."
            )
        if status == 429:
            self._on_rate_limited(response, body)
            return "rate limited (429)"
        if status == 403 and _looks_like_html(response, body):
            raise self._stop_for_budget(response, "Pipedrive answered 403 with an HTML page (rate limits)")
        if status in RETRYABLE_STATUSES:
            return f"server error {status}"
        raise ApiError(f"GET {path} failed with HTTP {status}: {_error_text(body)}", status=status)

    def _on_rate_limited(self, response: requests.Response, body: bytes) -> None:
        headers = response.headers
        daily_remaining = headers.get("x-daily-ratelimit-token-remaining")
        if (daily_remaining is not None and daily_remaining.strip() == "0") or _mentions_daily(body):
            raise self._stop_for_budget(response, "the daily API token budget is spent")
        wait = _first_number(headers.get("retry-after"), headers.get("x-ratelimit-reset")) or 2.0
        if wait > self.retry.max_rate_limit_wait_s:
            raise self._stop_for_budget(
                response, f"Pipedrive asks to wait {wait:.0f}s (likely the daily budget)"
            )
        log.info("rate limited on %s, pausing %.1fs", response.request.path_url.split("?")[0], wait)
        self.limiter.block_for(wait)

    def _stop_for_budget(self, response: requests.Response, reason: str) -> BudgetExhaustedError:
        """Remember the stop (no thread asks again) and say when the budget resets: after the
        429's `Retry-After` when it gives one, else at the next midnight UTC."""
        now = _server_now(response.headers.get("date"))
        retry_after = (
            _first_number(response.headers.get("retry-after")) if response.status_code == 429 else None
        )
        if retry_after and retry_after > self.retry.max_rate_limit_wait_s:
            resets_at = now + timedelta(seconds=retry_after)
        else:
            resets_at = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        in_hours = (resets_at - now).total_seconds() / 3600
        error = BudgetExhaustedError(
            f"Stopped cleanly: {reason}. Everything read so far is loaded and the cursors stay behind "
            f"unloaded data. The budget resets at {resets_at:%Y-%m-%d %H:%M} UTC "
            f"(in about {in_hours:.1f} h); "
            "run the sync again after that.",
            resets_at=resets_at,
        )
        self._stopped = error
        return error

    def _backoff(self, attempt: int, path: str, problem: str) -> None:
        if attempt >= self.retry.attempts:
            return
        delay = min(self.retry.max_backoff_s, self.retry.backoff_s * 2 ** (attempt - 1))
        log.info("GET %s: %s, retry %d in %.2fs", path, problem, attempt, delay)
        self.limiter.pause(delay)


def _looks_like_html(response: requests.Response, body: bytes) -> bool:
    return "html" in response.headers.get("content-type", "") or body.lstrip()[:1] == b"<"


def _mentions_daily(body: bytes) -> bool:
    return b"daily" in body.lower()


def _error_text(body: bytes) -> str:
    try:
        parsed = orjson.loads(body)
        return str(parsed.get("error") or parsed)[:300] if isinstance(parsed, dict) else str(parsed)[:300]
    except orjson.JSONDecodeError:
        return body[:200].decode("utf-8", "replace")


def _first_number(*values: str | None) -> float | None:
    for value in values:
        try:
            if value is not None:
                return float(value)
        except ValueError:
            continue
    return None


def _server_now(date_header: str | None) -> datetime:
    if date_header:
        try:
            return parsedate_to_datetime(date_header).astimezone(timezone.utc)
        except (TypeError, ValueError):
            pass
    return datetime.now(timezone.utc)
