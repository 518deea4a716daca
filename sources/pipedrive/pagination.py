"""Page through list endpoints: v2 opaque keyset cursors, v1 start/limit offsets."""

from __future__ import annotations

from collections.abc import Iterator

from sources.pipedrive.client import PipedriveClient

MAX_PAGE_SIZE = 500


def iter_cursor_pages(
    client: PipedriveClient, path: str, params: dict, limit: int = MAX_PAGE_SIZE
) -> Iterator[list]:
    """v2: follow `additional_data.next_cursor` until it is null."""
    cursor = None
    while True:
        page_params = dict(params, limit=limit)
        if cursor:
            page_params["cursor"] = cursor
        body = client.get_json(path, page_params)
        yield body.get("data") or []
        cursor = (body.get("additional_data") or {}).get("next_cursor")
        if not cursor:
            return


def iter_offset_pages(
    client: PipedriveClient, path: str, params: dict, limit: int = MAX_PAGE_SIZE
) -> Iterator[list]:
    """v1: `start`/`limit`; the pagination object sits in `additional_data.pagination` or, for
    leads, possibly directly in `additional_data` (both accepted). No pagination object: one page."""
    start = 0
    while True:
        body = client.get_json(path, dict(params, start=start, limit=limit))
        data = body.get("data") or []
        yield data
        additional = body.get("additional_data") or {}
        pagination = additional.get("pagination", additional) if isinstance(additional, dict) else {}
        if not pagination.get("more_items_in_collection") or not data:
            return
        start = pagination.get("next_start") or start + len(data)


def iter_pages(client: PipedriveClient, path: str, params: dict, api: str) -> Iterator[list]:
    pager = iter_cursor_pages if api == "v2" else iter_offset_pages
    return pager(client, path, params)
