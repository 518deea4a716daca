"""The routing table: (method, path pattern, handler, token cost) rows, declared as data.

API areas register their routes here; `simulator.v1.register(router)` adds the v1 routes.
Path patterns use `{name}` placeholders, matched against one path segment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import orjson

from simulator.errors import ApiError, bad_request


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]  # first value of each query parameter
    query_lists: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # path placeholders
    store: object = None  # simulator.store.Store
    route: Route | None = None

    def json(self):
        if not self.body:
            raise bad_request("Request body is missing")
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            raise bad_request("Request body is not valid JSON") from None

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("1", "true", "yes")


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def ok(data, additional_data=None, status: int = 200) -> Response:
    """Success body; `additional_data` only when given (single-item answers have none)."""
    body = {"success": True, "data": data}
    if additional_data is not None:
        body["additional_data"] = additional_data
    return Response(status, orjson.dumps(body))


def ok_raw(data_json: bytes, additional_data=None) -> Response:
    """A success body around pre-serialized `data` bytes (the list fast path)."""
    tail = b"" if additional_data is None else b',"additional_data":' + orjson.dumps(additional_data)
    return Response(200, b'{"success":true,"data":' + data_json + tail + b"}")


Handler = Callable[[Request], Response]
#: Literal path segments that the specs put where a sibling path has a placeholder (`/deals/search`
#: beside `/deals/{id}`). A placeholder never matches one, so a literal path the simulator does not
#: serve is an unknown route (404), not a lookup of a record called "search".
LITERAL_SEGMENTS = (
    "archived", "boards", "bulk", "changelog", "find", "helpers", "installments", "me", "messages",
    "phases", "products", "remote", "remoteLink", "search", "summary", "timeline", "user",
)  # fmt: skip
PLACEHOLDER = "(?!(?:" + "|".join(LITERAL_SEGMENTS) + ")(?:/|$))[^/]+"


@dataclass
class Route:
    method: str
    pattern: str
    handler: Handler
    token_cost: int
    regex: re.Pattern = field(init=False, repr=False)

    def __post_init__(self) -> None:
        parts = re.split(r"\{(\w+)\}", self.pattern)
        expression = "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>{PLACEHOLDER})"
            for index, part in enumerate(parts)
        )
        self.regex = re.compile(f"^{expression}/?$")

    @property
    def name(self) -> str:
        """Stats key, e.g. `GET /api/v2/deals/{id}`."""
        return f"{self.method} {self.pattern}"


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        self._literal: dict[tuple[str, str], Route] = {}

    def add(self, method: str, pattern: str, handler: Handler, token_cost: int) -> None:
        route = Route(method.upper(), pattern, handler, token_cost)
        if "{" in pattern:
            self.routes.append(route)
            self.routes.sort(key=lambda item: item.pattern.count("{"))
        else:
            self._literal[(route.method, pattern.rstrip("/"))] = route

    def add_v2(self, method: str, path: str, handler: Handler, token_cost: int) -> None:
        self.add(method, "/api/v2" + path, handler, token_cost)

    def add_v1(self, method: str, path: str, handler: Handler, token_cost: int) -> None:
        """v1 answers under both `/v1` and `/api/v1`."""
        self.add(method, "/v1" + path, handler, token_cost)
        self.add(method, "/api/v1" + path, handler, token_cost)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        route = self._literal.get((method, path.rstrip("/")))
        if route is not None:
            return route, {}
        allowed = False
        for candidate in self.routes:
            found = candidate.regex.match(path)
            if found:
                if candidate.method == method:
                    return candidate, found.groupdict()
                allowed = True
        if allowed or any(key[1] == path.rstrip("/") for key in self._literal):
            raise ApiError(405, "Method not allowed")
        raise ApiError(404, "Unknown method .")


def parse_query(raw: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    lists = parse_qs(raw, keep_blank_values=True)
    return {key: values[0] for key, values in lists.items()}, lists
