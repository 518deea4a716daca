"""Our own estimate of the rate-limit token cost of each request (Pipedrive's published costs)."""

from __future__ import annotations

import re

V2_SMALL_LISTS = ("/api/v2/pipelines", "/api/v2/stages")
SPECIAL_COSTS = {
    "/api/v2/deals/archived": 20,
    "/v1/deals/archived": 40,
    "/v1/leads/archived": 40,
    "/v1/leadLabels": 10,
    "/v1/users/me": 2,
    "/v1/leadSources": 2,
}
# per-record paths: (pattern, tokens)
PATTERN_COSTS = ((re.compile(r"^/v1/deals/[^/]+/participants$"), 10),)


def token_cost(path: str) -> int:
    """Tokens one GET on `path` costs: v2 lists 10 (pipelines/stages 5), v1 lists 20."""
    normalized = path.replace("/api/v1/", "/v1/", 1)
    if normalized in SPECIAL_COSTS:
        return SPECIAL_COSTS[normalized]
    for pattern, cost in PATTERN_COSTS:
        if pattern.match(normalized):
            return cost
    if normalized.startswith(V2_SMALL_LISTS):
        return 5
    if normalized.startswith("/api/v2/"):
        return 10
    return 20
