"""v1 offset pagination: `start` + `limit` in, `additional_data.pagination` out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.errors import bad_request

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


@dataclass(frozen=True)
class Page:
    start: int
    limit: int

    def slice(self, items: Sequence) -> tuple[list, bool]:
        """The page's items and whether more exist after it."""
        chunk = list(items[self.start : self.start + self.limit])
        return chunk, self.start + self.limit < len(items)

    def pagination(self, more: bool) -> dict[str, Any]:
        """The v1 pagination object; `next_start` only when there is a next page."""
        info: dict[str, Any] = {"start": self.start, "limit": self.limit, "more_items_in_collection": more}
        if more:
            info["next_start"] = self.start + self.limit
        return info


def parse_page(query: Mapping[str, str], default_limit: int = DEFAULT_LIMIT) -> Page:
    """Read `start`/`limit`; a limit above 500 is capped like the API does, garbage is a 400."""
    try:
        start = int(query.get("start") or 0)
        limit = int(query.get("limit") or default_limit)
    except ValueError:
        raise bad_request("Pagination parameters start and limit must be integers") from None
    if start < 0 or limit < 1:
        raise bad_request("Pagination start must be >= 0 and limit >= 1")
    return Page(start=start, limit=min(limit, MAX_LIMIT))
