"""One database, one account. The Pipedrive company a database is first synced from (its id and
domain, from `/v1/users/me`) is recorded in dlt's pipeline state, which dlt stores in the database
with the run's load. A run that reaches another company stops before it writes anything.

The check costs a request (2 tokens) that a run which finds nothing new cannot afford every 15
minutes. So once a run has checked the account and loaded, the digest of its address and token
(`auth.py`: it gives the token back to no one) is kept in the database's local dlt folder, which is
forgotten with the database. Later runs with the same digest skip the check; any other address or
token (an OAuth token refreshed, a token of another company) is checked again."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: `status` reads the account without importing dlt or duckdb
    import dlt

from sources.pipedrive.errors import PipedriveError
from sources.pipedrive.state import SOURCE_NAME

ACCOUNT_KEY = "account"
VERIFIED_CREDENTIALS_FILE = "verified_credentials"


class AccountMismatchError(PipedriveError):
    """The database holds another Pipedrive company than the one this run reaches."""


def account_of(me: dict) -> dict | None:
    """The account in `/v1/users/me`'s answer; None when it names no company."""
    if me.get("company_id") is None and not me.get("company_domain"):
        return None
    return {"id": me.get("company_id"), "domain": me.get("company_domain"), "name": me.get("company_name")}


def describe(account: dict) -> str:
    return f"{account.get('domain') or account.get('name')} (company id {account.get('id')})"


def stored_account(pipeline: dlt.Pipeline) -> dict | None:
    return pipeline.state.get("sources", {}).get(SOURCE_NAME, {}).get(ACCOUNT_KEY)


def same_account(one: dict, other: dict) -> bool:
    if one.get("id") is not None and other.get("id") is not None:
        return one["id"] == other["id"]
    return one.get("domain") == other.get("domain")


def check_account(
    pipeline: dlt.Pipeline, current: dict | None, database: str | Path, switching: bool
) -> None:
    """Raise AccountMismatchError when the database holds another account (unless switching)."""
    stored = stored_account(pipeline)
    if current is None or stored is None or switching or same_account(stored, current):
        return
    raise AccountMismatchError(
        f"{database} holds Pipedrive account {describe(stored)}, but this run reaches {describe(current)}; "
        f"nothing was written. Sync that account into another file (--duckdb other.duckdb), or replace "
        f"everything in this one with --full-refresh --switch-account."
    )


def record_account(pipeline: dlt.Pipeline, current: dict | None) -> None:
    """Saved in the local state now; dlt stores it in the database with this run's load."""
    if current is None or stored_account(pipeline) == current:
        return
    with pipeline.managed_state() as state:
        state.setdefault("sources", {}).setdefault(SOURCE_NAME, {})[ACCOUNT_KEY] = current


def account_in_database(duckdb_path: str | Path) -> dict | None:
    """The account recorded in a DuckDB file (dlt's newest stored state), read-only; None when it
    records none."""
    import duckdb
    from dlt.common.versioned_state import decompress_state

    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        stored = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'pipedrive_raw' and table_name = '_dlt_pipeline_state'"
        ).fetchone()[0]
        if not stored:
            return None
        row = con.execute(
            "select state from pipedrive_raw._dlt_pipeline_state order by version desc limit 1"
        ).fetchone()
    if row is None:
        return None
    return decompress_state(row[0]).get("sources", {}).get(SOURCE_NAME, {}).get(ACCOUNT_KEY)


def credentials_verified(state_dir: Path, fingerprint: str) -> bool:
    """Whether a run with these credentials already checked this database's account and loaded."""
    try:
        return (state_dir / VERIFIED_CREDENTIALS_FILE).read_text().strip() == fingerprint
    except OSError:
        return False


def remember_verified(state_dir: Path, fingerprint: str) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / VERIFIED_CREDENTIALS_FILE).write_text(fingerprint + "\n")
