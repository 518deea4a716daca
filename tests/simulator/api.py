"""Small HTTP helpers for the simulator tests."""

from __future__ import annotations

import requests


class Api:
    """Talks to one simulator with its token in the `x-api-token` header."""

    def __init__(self, sim) -> None:
        self.sim = sim
        self.session = requests.Session()
        self.session.headers["x-api-token"] = sim.token

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.sim.base_url + path, timeout=10, **kwargs)

    def get(self, path: str, **params) -> requests.Response:
        return self.request("GET", path, params=params)

    def data(self, path: str, **params):
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def walk(self, path: str, **params) -> tuple[list[dict], int]:
        """Every record of a v2 list, following next_cursor; also the number of pages."""
        rows, pages, cursor = [], 0, None
        while True:
            query = dict(params, cursor=cursor) if cursor else params
            response = self.get(path, **query)
            assert response.status_code == 200, response.text
            body = response.json()
            rows.extend(body["data"])
            pages += 1
            cursor = body["additional_data"]["next_cursor"]
            if cursor is None:
                return rows, pages
