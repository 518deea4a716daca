"""How a list endpoint pages. Each `Stream` declares its paginator; everything that pages (the
stream reader, the backfill windows, children, reconciliation) goes through one of these.

Pipedrive's two API versions page differently, so a paginator also says which version served
the rows (`api`): v2 lists use opaque keyset cursors, v1 lists `start`/`limit` offsets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the entity table declares paginators; it does not need the HTTP stack
    from sources.pipedrive.client import PipedriveClient

MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    next_params: dict | None  # the query of the next page; None: this was the last one


class Paginator:
    api: str

    def first_params(self, params: dict, limit: int = MAX_PAGE_SIZE) -> dict:
        raise NotImplementedError

    def next_params(self, body: dict, params: dict) -> dict | None:
        raise NotImplementedError

    def fetch(self, client: PipedriveClient, path: str, params: dict) -> Page:
        """One page, and where the next one starts."""
        body = client.get_json(path, params)
        return Page(body.get("data") or [], self.next_params(body, params))

    def follow(self, client: PipedriveClient, path: str, params: dict | None) -> Iterator[list[dict]]:
        """The rows of every page from the one `params` asks for to the last."""
        while params is not None:
            page = self.fetch(client, path, params)
            yield page.rows
            params = page.next_params

    def pages(
        self, client: PipedriveClient, path: str, params: dict, limit: int = MAX_PAGE_SIZE
    ) -> Iterator[list[dict]]:
        return self.follow(client, path, self.first_params(params, limit))


class CursorPaginator(Paginator):
    """v2: follow `additional_data.next_cursor` until it is null."""

    api = "v2"

    def first_params(self, params: dict, limit: int = MAX_PAGE_SIZE) -> dict:
        return dict(params, limit=limit)

    def next_params(self, body: dict, params: dict) -> dict | None:
        cursor = (body.get("additional_data") or {}).get("next_cursor")
        return dict(params, cursor=cursor) if cursor else None


class OffsetPaginator(Paginator):
    """v1: `start`/`limit`; the pagination object sits in `additional_data.pagination` or, for
    leads, possibly directly in `additional_data` (both accepted). No pagination object: one page."""

    api = "v1"

    def first_params(self, params: dict, limit: int = MAX_PAGE_SIZE) -> dict:
        return dict(params, start=0, limit=limit)

    def next_params(self, body: dict, params: dict) -> dict | None:
        data = body.get("data") or []
        additional = body.get("additional_data") or {}
        pagination = additional.get("pagination", additional) if isinstance(additional, dict) else {}
        if not pagination.get("more_items_in_collection") or not data:
            return None
        return dict(params, start=pagination.get("next_start") or params["start"] + len(data))


class OnePagePaginator(Paginator):
    """v1 lists that declare no paging parameters (`/v1/users`, `/v1/currencies`, ...): one
    request, no `start`/`limit` (the specs do not declare them there), answers the whole list."""

    api = "v1"

    def first_params(self, params: dict, limit: int = MAX_PAGE_SIZE) -> dict:
        return dict(params)

    def next_params(self, body: dict, params: dict) -> dict | None:
        return None


CURSOR = CursorPaginator()
OFFSET = OffsetPaginator()
ONE_PAGE = OnePagePaginator()
