"""Who is calling: API token (header, or the legacy query parameter) or an OAuth bearer token."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from simulator.errors import ApiError


@dataclass(frozen=True)
class Caller:
    token_id: str  # a stable, non-secret label for rate-limit buckets and stats
    oauth: bool


def authenticate(headers: dict[str, str], query: dict[str, str], tokens: dict[str, str]) -> Caller:
    """`tokens` maps a secret to its label. Raises 401 with Pipedrive's error body."""
    presented, oauth = None, False
    if headers.get("x-api-token"):
        presented = headers["x-api-token"]
    elif headers.get("authorization", "").lower().startswith("bearer "):
        presented, oauth = headers["authorization"][7:].strip(), True
    elif query.get("api_token"):
        presented = query["api_token"]
    if not presented:
        raise ApiError(
            401, "You need to be authorized to make this request.", "Please check developers.pipedrive.com"
        )
    for secret, label in tokens.items():
        if hmac.compare_digest(secret.encode(), presented.encode()):
            return Caller(label, oauth)
    raise ApiError(401, "unauthorized access", "Please check developers.pipedrive.com")
