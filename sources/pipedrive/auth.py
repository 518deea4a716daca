"""The two ways to authenticate, as `requests` auth classes: a personal API token in the
`x-api-token` header, or an OAuth access token as a bearer. The token never goes into a URL."""

from __future__ import annotations

import hashlib

import requests
from requests.auth import AuthBase

from sources.pipedrive.errors import ConfigurationError

MISSING_TOKEN = (
    "No Pipedrive API token: set sources.pipedrive.api_token in .dlt/secrets.toml, or export "
    "PIPEDRIVE_API_TOKEN (or SOURCES__PIPEDRIVE__API_TOKEN)."
)


class _TokenAuth(AuthBase):
    def __init__(self, token: str) -> None:
        self._token = _checked(token)

    def fingerprint(self, base_url: str) -> str:
        """A one-way digest of the kind of token, the address and the token: it tells whether the
        credentials changed since the account was last checked, and gives the token back to no one."""
        credentials = "\0".join(("pipedrive-sync", type(self).__name__, base_url, self._token))
        return hashlib.sha256(credentials.encode()).hexdigest()


class ApiTokenAuth(_TokenAuth):
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["x-api-token"] = self._token
        return request

    def __repr__(self) -> str:  # never show the token
        return "ApiTokenAuth()"


class OAuthBearer(_TokenAuth):
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "OAuthBearer()"


def pipedrive_auth(api_token: str | None = None, oauth_access_token: str | None = None) -> AuthBase:
    """The auth for whichever token is set (OAuth wins); no token at all is a configuration error."""
    if oauth_access_token:
        return OAuthBearer(oauth_access_token)
    if api_token:
        return ApiTokenAuth(api_token)
    raise ConfigurationError(MISSING_TOKEN)


def _checked(token: str) -> str:
    """A token is printable ASCII without spaces; anything else (a stray space, newline or quote
    from copy and paste) could not travel in a header. The message never repeats the token."""
    if not token.isascii() or not token.isprintable() or any(char.isspace() for char in token):
        raise ConfigurationError(
            "The Pipedrive API token contains spaces, line breaks or non-ASCII characters; copy it "
            "again from Pipedrive (Settings > Personal preferences > API) without surrounding whitespace."
        )
    return token
