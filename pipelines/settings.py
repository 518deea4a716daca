"""Where the sync finds its settings: explicit arguments first, then dlt config
(`.dlt/config.toml`, `.dlt/secrets.toml`, `SOURCES__PIPEDRIVE__*` env vars), then the
`PIPEDRIVE_API_TOKEN` shortcut."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import dlt
import duckdb
from dlt.common.configuration.exceptions import ConfigProviderException

from sources.pipedrive.client import resolve_base_url
from sources.pipedrive.entities import ENTITIES
from sources.pipedrive.errors import ConfigurationError

DEFAULT_DUCKDB_MEMORY_LIMIT = "128MB"
API_PATH_SUFFIX = re.compile(r"(/api)?(/v[12])?/*$")


@dataclass(frozen=True)
class Connection:
    base_url: str
    api_token: str | None
    oauth_access_token: str | None

    def __repr__(self) -> str:  # never show the token
        return f"Connection(base_url={self.base_url!r})"


def resolve_connection(
    base_url: str | None = None,
    api_token: str | None = None,
    company_domain: str | None = None,
    oauth_access_token: str | None = None,
) -> Connection:
    """Whether a token was found is checked once, by the client's auth (`sources.pipedrive.auth`)."""
    api_token = api_token or _config("api_token", secret=True) or os.environ.get("PIPEDRIVE_API_TOKEN")
    oauth_access_token = oauth_access_token or _config("oauth_access_token", secret=True)
    base_url = base_url or _config("base_url")
    company_domain = company_domain or _config("company_domain")
    return Connection(
        resolve_base_url(company_domain, without_api_path(base_url)), api_token, oauth_access_token
    )


def without_api_path(base_url: str | None) -> str | None:
    """The account's address as users copy it from the API docs (`https://acme.pipedrive.com/api/v2`,
    `.../api/v1`, `.../v1`): the sync adds the API paths itself, so a copied one is dropped."""
    if not base_url:
        return base_url
    return API_PATH_SUFFIX.sub("", str(base_url).strip())


def resolve_v1_list_entities(explicit) -> frozenset[str]:
    """Entities to read through the deprecated v1 list endpoints (`sources.pipedrive.v1_list_entities`,
    a list or a comma-separated string)."""
    value = explicit if explicit else _config_value("v1_list_entities")
    if isinstance(value, str):
        value = value.split(",")
    names = frozenset(name.strip() for name in value or () if name and name.strip())
    readable = {entity.name for entity in ENTITIES if entity.v1_streams}
    if names - readable:
        raise ConfigurationError(
            f"v1_list_entities names {', '.join(sorted(names - readable))}: only these entities have v1 "
            f"list endpoints: {', '.join(sorted(readable))}."
        )
    return names


def resolve_duckdb_memory_limit() -> str:
    """DuckDB's memory limit while the sync loads (`sources.pipedrive.duckdb_memory_limit`). Past it
    DuckDB spills to a `.tmp` folder beside the database: a sync of a million activities then peaks
    at about 410 MB for the whole process instead of about 770 MB, and large merges take 10-20%
    longer (BENCHMARKS.md)."""
    value = _config("duckdb_memory_limit") or DEFAULT_DUCKDB_MEMORY_LIMIT
    try:
        duckdb.connect(config={"memory_limit": value}).close()
    except duckdb.Error:
        raise ConfigurationError(
            f"duckdb_memory_limit {value!r} is not a DuckDB memory size (e.g. 128MB, 1GB)."
        ) from None
    return value


def _config_value(name: str, secret: bool = False):
    """A setting from dlt config; a file that cannot be parsed is an error, not a missing value
    (ignoring it would report the setting it holds as missing)."""
    provider = dlt.secrets if secret else dlt.config
    try:
        return provider.get(f"sources.pipedrive.{name}")
    except ConfigProviderException as unreadable:
        raise ConfigurationError(f"Cannot read the dlt settings: {unreadable}") from None


def _config(name: str, secret: bool = False) -> str | None:
    value = _config_value(name, secret)
    return str(value) if value else None


DEFAULT_MAX_BUDGET_SHARE = 0.5
DEFAULT_SLOW_REFRESH_MINUTES = 60


def resolve_max_budget_share(explicit: float | None = None) -> float:
    """The share of today's remaining API tokens one run may spend (`sources.pipedrive.max_budget_share`,
    default 0.5): the rest stays for the account's other integrations and the next runs."""
    value = explicit if explicit is not None else _config_value("max_budget_share")
    return _number_setting(
        "max_budget_share", value, DEFAULT_MAX_BUDGET_SHARE, upper=1.0, exclusive_zero=True
    )


def resolve_slow_refresh_minutes(explicit: float | None = None) -> float:
    """How often reference lists (fields, pipelines, stages, users, ...) are re-read at the latest
    (`sources.pipedrive.slow_refresh_minutes`, default 60); see sources/pipedrive/freshness.py."""
    value = explicit if explicit is not None else _config_value("slow_refresh_minutes")
    return _number_setting("slow_refresh_minutes", value, DEFAULT_SLOW_REFRESH_MINUTES)


def _number_setting(name, value, default, upper=None, exclusive_zero=False) -> float:
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number < 0 or (exclusive_zero and number == 0) or (upper and number > upper):
        bounds = f"above 0 and at most {upper:g}" if upper else "0 or more"
        raise ConfigurationError(f"{name} {value!r} is not a number {bounds}.")
    return number
