"""The HTTP front: a threaded HTTP/1.1 keep-alive server that authenticates, rate-limits,
injects faults, dispatches through the routing table and keeps per-endpoint stats.

It never logs requests, so the legacy `?api_token=` never lands in a log line.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from simulator.auth import authenticate
from simulator.contract import check_query
from simulator.errors import ApiError, error_body
from simulator.faults import HTML_ERROR_PAGE, Faults
from simulator.ratelimit import RateLimiter
from simulator.routing import Request, Response, Router, parse_query
from simulator.store import Store

SLOW_BODY_CHUNKS = 10


@dataclass(frozen=True)
class RequestInfo:
    """What an `on_request` hook sees (never the token)."""

    method: str
    path: str
    query: dict[str, str]  # without a legacy `api_token`
    endpoint: str  # route name, e.g. "GET /api/v2/deals"
    token_cost: int


@dataclass(frozen=True)
class ServedRequest:
    """One routed request as a `RequestLog` keeps it (never the token)."""

    method: str
    path: str
    endpoint: str  # route name, e.g. "GET /api/v2/deals"
    query: dict[str, list[str]]  # every value of each parameter, without a legacy `api_token`


class RequestLog:
    """Every routed request of the simulators that write to it (thread-safe): the test suite
    checks them against the official specs after each test."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._served: list[ServedRequest] = []

    def append(self, request: ServedRequest) -> None:
        with self._lock:
            self._served.append(request)

    def drain(self) -> list[ServedRequest]:
        """The requests logged so far, leaving the log empty."""
        with self._lock:
            served, self._served = self._served, []
        return served


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._requests: Counter = Counter()
            self._tokens: Counter = Counter()
            self._statuses: dict[str, Counter] = defaultdict(Counter)

    def record(self, endpoint: str, status: int, tokens: int) -> None:
        with self._lock:
            self._requests[endpoint] += 1
            self._tokens[endpoint] += tokens
            self._statuses[endpoint][status] += 1

    def snapshot(self) -> dict:
        with self._lock:
            endpoints = {
                name: {
                    "requests": self._requests[name],
                    "tokens": self._tokens[name],
                    "statuses": dict(self._statuses[name]),
                }
                for name in self._requests
            }
        return {
            "requests": sum(item["requests"] for item in endpoints.values()),
            "tokens": sum(item["tokens"] for item in endpoints.values()),
            "endpoints": endpoints,
        }


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        store: Store,
        router: Router,
        tokens: dict[str, str],
        limiter: RateLimiter,
        faults: Faults,
        strict: bool = False,
        request_log: RequestLog | None = None,
    ) -> None:
        super().__init__(address, _Handler)
        self.strict = strict  # 400 for query parameters and enum values the specs do not declare
        self.request_log = request_log
        self.store = store
        self.router = router
        self.tokens = tokens
        self.limiter = limiter
        self.faults = faults
        self.stats = Stats()
        self.hooks: list[Callable[[RequestInfo], None]] = []


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle on, each keep-alive response waits
    # for the client's delayed ACK (~40 ms a request on loopback).
    disable_nagle_algorithm = True
    server: SimulatorServer
    server_version = "pipedrive-simulator"

    def date_time_string(self, timestamp=None) -> str:
        """The `Date` header tells the simulated time: clients date the budget reset from it."""
        return formatdate(self.server.store.clock.now() if timestamp is None else timestamp, usegmt=True)

    sys_version = ""

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        """Silence: request lines may carry a legacy `api_token` query parameter."""

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def _serve(self) -> None:
        server = self.server
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        path = url.path
        delay, fault, fault_status = server.faults.draw(path)
        if delay:
            time.sleep(delay)
        if fault in ("reset", "error", "html"):
            server.stats.record(
                f"{self.command} (fault: {fault})", fault_status if fault != "reset" else 0, 0
            )
        if fault == "reset":
            self._reset_connection()
            return
        if fault == "error":
            # a 429 says when to come back, as Pipedrive's do
            headers = {"retry-after": "1"} if fault_status == 429 else {}
            body = error_body("Internal server error", "Please try again later")
            self._send(Response(fault_status, body, headers=headers))
            return
        if fault == "html":
            status = server.faults.config.html_status or (fault_status if fault_status >= 500 else 502)
            self._send(Response(status, HTML_ERROR_PAGE, "text/html"))
            return
        response, endpoint, cost = self._dispatch(path, url.query, body)
        server.stats.record(endpoint, response.status, cost)
        if fault == "truncate":
            self._send_truncated(response)
        elif fault == "slow_body":
            self._send(response, slow=True)
        else:
            self._send(response)

    def _dispatch(self, path: str, raw_query: str, body: bytes) -> tuple[Response, str, int]:
        server = self.server
        method = self.command
        endpoint, cost, limit_headers = f"{method} (unrouted)", 0, {}
        try:
            query, query_lists = parse_query(raw_query)
            headers = {key.lower(): value for key, value in self.headers.items()}
            caller = authenticate(headers, query, server.tokens)
            route, params = server.router.match(method, path)
            endpoint = route.name
            if server.request_log is not None:
                visible = {key: values for key, values in query_lists.items() if key != "api_token"}
                server.request_log.append(ServedRequest(method, path, endpoint, visible))
            if server.strict:
                check_query(endpoint, query_lists)
            verdict = server.limiter.check(caller.token_id, caller.oauth, route.token_cost)
            limit_headers = verdict.headers
            if verdict.status:
                response = Response(verdict.status, verdict.body, verdict.content_type)
                response.headers.update(limit_headers)
                return response, endpoint, 0
            cost = route.token_cost
            request = Request(method, path, query, query_lists, headers, body, params, server.store, route)
            if server.hooks:
                visible_query = {key: value for key, value in query.items() if key != "api_token"}
                for hook in list(server.hooks):
                    hook(RequestInfo(method, path, visible_query, endpoint, cost))
            response = route.handler(request)
        except ApiError as error:
            response = Response(error.status, error.body())
        except Exception:  # a simulator bug: answer like Pipedrive's 500, keep the connection usable
            traceback.print_exc(file=sys.stderr)
            response = Response(
                500, error_body("Internal server error", "The simulator failed on this request")
            )
        response.headers.update(limit_headers)
        return response, endpoint, cost

    def _send(self, response: Response, slow: bool = False) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not slow:
            self.wfile.write(response.body)
            return
        step = max(1, len(response.body) // SLOW_BODY_CHUNKS)
        pause = self.server.faults.config.slow_body_ms / 1000.0 / SLOW_BODY_CHUNKS
        for start in range(0, len(response.body), step):
            self.wfile.write(response.body[start : start + step])
            self.wfile.flush()
            time.sleep(pause)

    def _send_truncated(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body[: len(response.body) // 2])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_WR)

    def _reset_connection(self) -> None:
        """Close with RST (SO_LINGER 0): the client sees 'connection reset by peer'."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()
