"""The parse floor: fetch exactly the pages our sync fetched (recorded by the simulator) and
orjson-parse them, nothing else. No sync can be faster than this on the same machine."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import orjson
import requests

WORKERS = 4


def fetch_and_parse(base_url: str, api_token: str, requests_log: list[dict]) -> int:
    """GET every recorded (path, query); returns the number of records parsed."""
    local = threading.local()

    def fetch(entry: dict) -> int:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.headers["x-api-token"] = api_token
        response = session.get(base_url + entry["path"], params=entry["query"])
        response.raise_for_status()
        data = orjson.loads(response.content).get("data")
        return len(data) if isinstance(data, list) else int(data is not None)

    with ThreadPoolExecutor(WORKERS) as pool:
        return sum(pool.map(fetch, requests_log))
