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

    def __init__(self, max_limit: int = MAX_PAGE_SIZE) -> None:
        self.max_limit = max_limit  # the largest `limit` the endpoint's spec allows

    def first_params(self, params: dict, limit: int = MAX_PAGE_SIZE) -> dict:
        return dict(params, start=0, limit=min(limit, self.max_limit))

    def next_params(self, body: dict, params: dict) -> dict | None:
        data = body.get("data") or []
        additional = body.get("additional_data") or {}
        pagination = additional.get("pagination", additional) if isinstance(additional, dict) else {}
        if not pagination.get("more_items_in_collection") or not data:
            return None
        return dict(params, start=pagination.get("next_start") or params["start"] + len(data))


class OnePagePaginator(Paginator):
    """Lists the spec declares without paging parameters (`/v1/users`, `/v1/currencies`, boards,
    phases, lead sources, goals, ...): one request, sent with only the stream's own parameters
    (no `start`/`limit`), answers the whole list. `records` names the key under `data` that holds
    the rows when `data` is an object (`/v1/goals/find`)."""

    def __init__(self, api: str = "v1", records: str | None = None) -> None:
        self.api = api
        self.records = records

    def first_params(self, params: dict, limit: int = MAX_PAGE_SIZE) -> dict:
        return dict(params)

    def next_params(self, body: dict, params: dict) -> dict | None:
        return None

    def fetch(self, client: PipedriveClient, path: str, params: dict) -> Page:
        data = client.get_json(path, params).get("data") or []
        if self.records is not None:
            data = (data.get(self.records) if isinstance(data, dict) else None) or []
        return Page(data, None)


CURSOR = CursorPaginator()
OFFSET = OffsetPaginator()
FILES_PAGE = OffsetPaginator(max_limit=100)  # `/v1/files` allows at most 100 a page
ONE_PAGE = OnePagePaginator("v1")
ONE_PAGE_V2 = OnePagePaginator("v2")
GOALS_PAGE = OnePagePaginator("v1", records="goals")
