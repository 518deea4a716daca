"""Run one sync: Pipedrive -> dlt (Arrow/parquet) -> DuckDB. dlt is the only writer of the raw
layer: deletes, vanished ids and removed deal products are rows the source hands to dlt. Tests,
benchmarks and the CLI all come through `run_sync`."""

from __future__ import annotations

import importlib.abc
import logging
import os
import shutil
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dlt
import duckdb
from dlt.common.exceptions import SignalReceivedException
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.account import (
    account_of,
    check_account,
    credentials_verified,
    describe,
    record_account,
    remember_verified,
    same_account,
    stored_account,
)
from pipelines.lock import DatabaseBusyError, busy_message, sync_lock, wait_until_writable
from pipelines.progress import extraction_progress
from pipelines.refresh import check_list_mode, prepare_refresh
from pipelines.settings import (
    resolve_connection,
    resolve_duckdb_memory_limit,
    resolve_max_budget_share,
    resolve_slow_refresh_minutes,
    resolve_v1_list_entities,
)
from pipelines.state_file import default_pipelines_dir, pipeline_name_for
from shared.crash_points import pipeline_progress
from shared.run_log import (
    COMPLETE,
    FAILED,
    STOPPED,
    RunRecord,
    forget_pending,
    keep_pending,
    pending_runs,
    runs_resource,
    utc_now,
)
from shared.warehouse import (
    DEFAULT_DUCKDB_PATH,
    RAW_SCHEMA,
    catalog_clash_warning,
    check_writable_database,
    is_lock_conflict,
)
from sources.pipedrive.client import PipedriveClient, RetryPolicy
from sources.pipedrive.context import SyncContext
from sources.pipedrive.entities import ENTITIES, ENTITY_BY_NAME
from sources.pipedrive.errors import (
    ApiError,
    BudgetExhaustedError,
    ConfigurationError,
    PipedriveError,
    RunInterrupted,
    UnreachableError,
)
from sources.pipedrive.freshness import EntityFreshness, build_plan, probe_since, run_probe
from sources.pipedrive.rate_limit import BudgetShare, BurstLimiter
from sources.pipedrive.source import pipedrive_source
from sources.pipedrive.state import SOURCE_NAME
from sources.pipedrive.streams import active_streams

DATASET = RAW_SCHEMA
CONNECTION_CHECK_PATH = "/v1/users/me"
POSTGRES_PIPELINE_NAME = "pipedrive_postgres"
STAGING_DATASET_LAYOUT = "_dlt_%s_staging"  # dlt's merge staging copy: _dlt_pipedrive_raw_staging
CLIENT_LOGGER = "sources.pipedrive"  # the HTTP client logs each retry and rate-limit pause at INFO
# Arrow -> parquet everywhere: Postgres loads it through ADBC (dlt's csv COPY turns empty strings into NULL)
LOADER_FILE_FORMAT = {"duckdb": "parquet", "postgres": "parquet"}
DUCKDB_DESTINATION_TYPE = "dlt.destinations.duckdb"
PRODUCED_BY = {"deal_products": "deals", "deal_snapshots": "deals", "deal_changes": "deals"}


@dataclass(frozen=True)
class Target:
    duckdb_path: str | Path
    pipelines_dir: str | Path | None
    destination: str
    memory_limit: str  # DuckDB's while loading


@dataclass(frozen=True)
class RunScope:
    """What one run reads and replaces."""

    resources: Iterable[str] | None
    full_refresh: bool
    reconcile: bool
    switch_account: bool


@dataclass
class SyncResult:
    rows_per_table: dict[str, int]
    requests: int
    tokens: int
    duration_s: float
    complete: bool = True
    message: str = ""
    requests_per_endpoint: dict[str, int] = field(default_factory=dict)
    marked_deleted: dict[str, int] = field(default_factory=dict)  # rows flagged: gone upstream
    reconcile_requests: int = 0  # of `requests`/`tokens`: what listing ids cost (reconciliation)
    reconcile_tokens: int = 0
    transform_s: float | None = None  # seconds the transforms took; None when they did not run
    tokens_left_today: int | None = None  # the account's, as the last answer said (None: not said)
    run_id: str = ""  # the run's row in pipedrive_raw.sync_runs


def open_pipeline(
    duckdb_path: str | Path, pipelines_dir: str | Path | None = None, destination: str = "duckdb"
) -> dlt.Pipeline:
    """destination "postgres" takes its credentials from dlt config (`destination.postgres.credentials`
    or env `DESTINATION__POSTGRES__CREDENTIALS`); its state still lives next to duckdb_path."""
    if destination == "postgres":
        name, target = POSTGRES_PIPELINE_NAME, dlt.destinations.postgres()
    elif destination == "duckdb":
        name = pipeline_name_for(duckdb_path)
        target = dlt.destinations.duckdb(str(Path(duckdb_path).resolve()))
    else:
        raise PipedriveError(f"Unknown destination {destination!r}; use duckdb or postgres")
    # dlt merges through a staging copy of each table; emptied after the load, it is not written to
    # the database file again at the checkpoint (about 0.5 s of a 20,000-deal sync) nor kept on disk
    dlt.config["load.truncate_staging_dataset"] = True
    # ... and named as dlt's own tables are, so that analysts browsing the database see it is internal
    for kind in ("duckdb", "postgres"):
        dlt.config[f"destination.{kind}.staging_dataset_name_layout"] = STAGING_DATASET_LAYOUT
    return dlt.pipeline(
        pipeline_name=name,
        pipelines_dir=str(pipelines_dir or default_pipelines_dir(duckdb_path)),
        destination=target,
        dataset_name=DATASET,
        **pipeline_progress(),
    )


def run_sync(
    base_url: str | None = None,
    api_token: str | None = None,
    duckdb_path: str | Path = DEFAULT_DUCKDB_PATH,
    resources: Iterable[str] | None = None,
    full_refresh: bool = False,
    pipelines_dir: str | Path | None = None,
    *,
    company_domain: str | None = None,
    oauth_access_token: str | None = None,
    since: datetime | None = None,
    reconcile: bool = False,
    v1_list_entities: Iterable[str] = (),
    retry: RetryPolicy | None = None,
    progress: Callable[[str], None] | None = None,
    destination: str = "duckdb",
    wait_for_readers_s: float = 30.0,
    transform: bool = False,
    max_budget_share: float | None = None,
    switch_account: bool = False,
    stop: threading.Event | None = None,
    slow_refresh_minutes: float | None = None,
) -> SyncResult:
    """Sync Pipedrive into DuckDB. Raises `PipedriveError` subclasses with a clear message on bad
    settings or a rejected token; a spent daily budget returns `complete=False` with the message.
    Refuses while another sync holds the database; waits `wait_for_readers_s` for other processes
    (BI tools) to close the DuckDB file, then fails clearly. With `transform`, a complete DuckDB sync
    rebuilds the readable views and marts before it lets go of the lock.

    `full_refresh` re-reads the selected resources (all by default) and keeps the history tables
    (`entities.KEPT_ON_REFRESH`). The database records its Pipedrive account on the first run; a run
    reaching another account raises `AccountMismatchError` before writing, unless `switch_account`
    (which also drops the history). Setting `stop` (the CLI does on Ctrl-C/SIGTERM) ends every wait
    of the run with `RunInterrupted`."""
    started = time.monotonic()
    _arrow_gives_memory_back()
    _arrow_without_pandas()
    resources = [name.strip() for name in resources] if resources else None
    record = RunRecord(utc_now(), full_refresh=full_refresh, resources=resources)
    connection = resolve_connection(base_url, api_token, company_domain, oauth_access_token)
    limiter = BurstLimiter(shares=_run_shares(resolve_max_budget_share(max_budget_share)), stop=stop)
    client = PipedriveClient(
        connection.base_url, connection.api_token, connection.oauth_access_token, retry=retry, limiter=limiter
    )
    context = SyncContext(
        client,
        limiter,
        v1_list_entities=resolve_v1_list_entities(v1_list_entities),
        since=since,
        force_reconcile=reconcile,
        progress=progress or (lambda message: None),
        # tiers and the change probe only where they cannot narrow what the user asked for
        slow_refresh=None
        if full_refresh or resources or since or switch_account
        else timedelta(minutes=resolve_slow_refresh_minutes(slow_refresh_minutes)),
    )
    try:
        target = Target(duckdb_path, pipelines_dir, destination, resolve_duckdb_memory_limit())
        what = RunScope(resources, full_refresh, reconcile, switch_account)
        if destination == "duckdb":
            check_writable_database(duckdb_path)
        # the lock for Postgres too: it guards dlt's local state next to that path
        with sync_lock(duckdb_path), _client_events_shown(context.progress):
            try:
                return _sync_and_transform(
                    client, context, target, what, started, record, transform, wait_for_readers_s
                )
            except Exception as failure:
                # the run's row could not be loaded with its data: the next run loads it
                record.finish(
                    FAILED,
                    _one_line(failure),
                    client.usage,
                    client.limiter.daily_tokens_left,
                    context.report.rows,
                )
                keep_pending(duckdb_path, record)
                raise
    finally:
        client.close()


def _sync_and_transform(
    client, context, target, what: RunScope, started, record, transform, wait_for_readers_s
) -> SyncResult:
    duckdb_path = target.duckdb_path
    if target.destination != "duckdb":
        return _sync(client, context, target, what, started, record)
    clash = catalog_clash_warning(duckdb_path)
    if clash:
        context.progress(clash)
    wait_until_writable(duckdb_path, wait_for_readers_s)
    try:
        result = _sync(client, context, target, what, started, record)
    except Exception as failure:
        if _cause(failure, is_lock_conflict) is None:
            raise
        raise DatabaseBusyError(busy_message(duckdb_path, 0)) from None
    if transform and result.complete:
        if context.limiter.stopped:
            raise RunInterrupted("the run was asked to stop")
        result.transform_s = _transform(duckdb_path, context)
    return result


def _arrow_gives_memory_back() -> None:
    """Arrow's default allocator (mimalloc) keeps what it frees for reuse: the pages of every batch
    built so far stay in the process while DuckDB loads (about 50 MB of a 30,000-deal sync's peak).
    The system allocator returns large blocks at once. An ARROW_DEFAULT_MEMORY_POOL the user set wins."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())


class _NoPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def _arrow_without_pandas() -> None:
    """pyarrow imports pandas at its first conversion of a Python list, only to ask whether the list
    is a pandas object (the sync never hands it one): about 30 MB of a sync's peak RSS and half a
    CPU second of every run. That first check is made here, with pandas refused for its duration:
    pyarrow remembers the answer for such checks, and still imports pandas for an API that needs it
    (`to_pandas`). Nothing to do where pandas is already imported."""
    if "pandas" in sys.modules:
        return
    import pyarrow

    refuse = _NoPandas()
    sys.meta_path.insert(0, refuse)
    try:
        pyarrow.array([None])
    finally:
        sys.meta_path.remove(refuse)


def _one_line(error: BaseException) -> str:
    """What went wrong, as the CLI's `Error:` line says it (first line, bounded)."""
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:500]


def _run_shares(max_budget_share: float) -> list[BudgetShare]:
    """The run's share of today's tokens; 1.0 leaves the whole budget to Pipedrive's own limit."""
    return [] if max_budget_share >= 1 else [BudgetShare("run", max_budget_share)]


class _ProgressHandler(logging.Handler):
    def __init__(self, progress: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        self.progress(record.getMessage())


@contextmanager
def _client_events_shown(progress: Callable[[str], None]) -> Iterator[None]:
    """Retries and rate-limit pauses, which the HTTP client logs, appear in the progress as they happen."""
    logger = logging.getLogger(CLIENT_LOGGER)
    handler = _ProgressHandler(progress)
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


def _transform(duckdb_path: str | Path, context: SyncContext) -> float:
    from transforms import run_transforms
    from transforms.runner import ModelCheckError

    context.progress("building the readable views and marts")
    try:
        return run_transforms(duckdb_path).duration_s
    except ModelCheckError as error:  # the data is loaded; the previous views are kept
        raise PipedriveError(str(error)) from None


def _sync(client, context, target: Target, what: RunScope, started: float, record: RunRecord):
    duckdb_path, destination = target.duckdb_path, target.destination
    pipelines_dir = Path(target.pipelines_dir or default_pipelines_dir(duckdb_path))
    if destination == "duckdb":
        _forget_state_without_database(duckdb_path, pipelines_dir)
    pipeline, credentials = _open_checked(client, context, target, what, pipelines_dir)
    if _finish_interrupted_load(pipeline, context, target):
        # that load left the pipeline on its own (now closed) connection; the source reads the
        # destination while it extracts (vanished ids), through the pipeline's own destination
        pipeline = open_pipeline(duckdb_path, pipelines_dir, destination)
    earlier_runs = pending_runs(duckdb_path)
    if not context.report.stopped:
        try:
            freshness, since = _probe_horizon(pipeline, context)
            _plan_freshness(client, context, freshness, since, probe_is_first_request=credentials.trusted)
        except BudgetExhaustedError as stop:
            context.report.stopped = stop
    if context.report.stopped:
        _load_run_records(pipeline, context, client, target, [*earlier_runs, record])
        forget_pending(duckdb_path, earlier_runs)
        return _result(context, client, started, record)
    source = pipedrive_source(api_token=None, context=context)
    if what.resources:
        source = source.with_resources(*_resource_names(what.resources))
    refreshing = what.full_refresh or what.switch_account
    check_list_mode(pipeline, [ENTITY_BY_NAME[name] for name in source.selected_resources],
                    context.v1_list_entities, refreshing)  # fmt: skip
    record_account(pipeline, credentials.account)
    with _dlt_step_errors():
        if what.switch_account:
            _drop_deal_history(pipeline, context, target)
        with extraction_progress(context):
            pipeline.extract(
                source,
                loader_file_format=LOADER_FILE_FORMAT[destination],
                refresh=prepare_refresh(pipeline, what.full_refresh, what.switch_account),
            )
        pipeline.normalize()
        # the run's row travels in the same load step as its data (its end: when the reading ended);
        # its own package is normalized apart, so each package matches the schema it was extracted with
        _finish_record(record, context, client)
        pipeline.extract(
            runs_resource([*earlier_runs, record]), loader_file_format=LOADER_FILE_FORMAT[destination]
        )
        pipeline.normalize()
    context.progress(f"loading {sum(context.report.rows.values()):,} rows into {target.destination}")
    with _load_destination(pipeline, target) as load_destination:
        with _dlt_step_errors():
            pipeline.load(destination=load_destination)
        credentials.remember(pipeline)
        complete = context.report.stopped is None
        history = (
            _history_work(pipeline, client) if complete and "deals" in source.selected_resources else None
        )
    if history:
        _sync_history(pipeline, context, client, target, record, *history)
    forget_pending(duckdb_path, earlier_runs)
    return _result(context, client, started, record)


@dataclass
class _Credentials:
    """This run's address and token, and whether they checked the database's account before
    (pipelines/account.py): then the change probe is the run's first request, not the check."""

    state_dir: Path
    fingerprint: str
    trusted: bool
    account: dict | None = None  # the account behind them, when this run checked it

    def remember(self, pipeline: dlt.Pipeline) -> None:
        """After the load that stored the checked account: later runs need not check again."""
        stored = stored_account(pipeline)
        if self.account is not None and stored is not None and same_account(stored, self.account):
            remember_verified(self.state_dir, self.fingerprint)


def _open_checked(
    client: PipedriveClient, context: SyncContext, target: Target, what: RunScope, pipelines_dir: Path
) -> tuple[dlt.Pipeline, _Credentials]:
    """The pipeline, once the account behind the credentials is known to be the database's."""
    state_dir = pipelines_dir / pipeline_name_for(target.duckdb_path)
    fingerprint = client.credentials_fingerprint()
    trusted = not what.switch_account and credentials_verified(state_dir, fingerprint)
    credentials = _Credentials(state_dir, fingerprint, trusted)
    if not trusted:  # before the database is opened: a wrong address or token must not create or touch it
        credentials.account = _checked_account(client, context)
    pipeline = open_pipeline(target.duckdb_path, pipelines_dir, target.destination)
    pipeline.sync_destination()  # what `pipeline.run` does first: restore lost local state
    known = stored_account(pipeline)
    if trusted and (known is None or _probe_horizon(pipeline, context)[1] is None):
        credentials.trusted = False  # nothing stored to trust, or no probe to be the first request
        credentials.account = _checked_account(client, context)
    elif trusted:
        context.progress(f"account {describe(known)}: checked before, with the same address and token")
    database = target.duckdb_path if target.destination == "duckdb" else target.destination
    check_account(pipeline, credentials.account, database, what.switch_account)
    return pipeline, credentials


def _load_run_records(
    pipeline: dlt.Pipeline, context: SyncContext, client: PipedriveClient, target: Target, records: list
) -> None:
    """The run's row in sync_runs (the last of `records`), finished now, and every package still
    pending (e.g. the deal history just extracted), loaded. A run stopped before reading (a spent
    budget) still writes its row this way."""
    _finish_record(records[-1], context, client)
    with _dlt_step_errors():
        pipeline.extract(runs_resource(records), loader_file_format=LOADER_FILE_FORMAT[target.destination])
        pipeline.normalize()
    with _load_destination(pipeline, target) as load_destination, _dlt_step_errors():
        pipeline.load(destination=load_destination)


def _finish_record(record: RunRecord, context: SyncContext, client: PipedriveClient) -> None:
    stopped = context.report.stopped
    record.entities_skipped = context.plan.skipped_entities if context.plan else []
    record.finish(
        STOPPED if stopped else COMPLETE,
        str(stopped) if stopped else "",
        client.usage,
        client.limiter.daily_tokens_left,
        context.report.rows,
    )


def _history_work(pipeline: dlt.Pipeline, client: PipedriveClient) -> tuple[list, int | None] | None:
    """Deals whose history to read (from the tables just loaded) and the tokens it may spend
    (pipelines/history.py); None when there is nothing to do."""
    from pipelines.history import deals_to_read, history_budget, resolve_history_budget_share

    budget = history_budget(
        client.limiter.daily_tokens_left, client.usage.total_tokens, resolve_history_budget_share()
    )
    deals = deals_to_read(pipeline) if budget != 0 else []
    return (deals, budget) if deals else None


def _sync_history(
    pipeline: dlt.Pipeline,
    context: SyncContext,
    client: PipedriveClient,
    target: Target,
    record: RunRecord,
    deals: list,
    budget: int | None,
) -> None:
    """Deal history after the entities are loaded, as a source of its own; the run's row is
    written again with it, so that it counts the history's requests too."""
    from sources.pipedrive.history import history_source

    limit = "no daily limit" if budget is None else f"{budget:,} tokens"
    context.progress(f"deal history: {len(deals):,} deals to read ({limit})")
    with _dlt_step_errors():
        pipeline.extract(
            history_source(context, deals, budget), loader_file_format=LOADER_FILE_FORMAT[target.destination]
        )
        pipeline.normalize()
    _load_run_records(pipeline, context, client, target, [record])


def _drop_deal_history(pipeline: dlt.Pipeline, context: SyncContext, target: Target) -> None:
    """The other account's deal history goes with its records: the history source, extracted with
    nothing to read, drops its tables in the load that replaces the entities. Its reads then start
    over, so deals of the new account that share an id with an old one are read too."""
    from sources.pipedrive.history import history_source

    pipeline.extract(
        history_source(context, [], 0),
        loader_file_format=LOADER_FILE_FORMAT[target.destination],
        refresh="drop_resources",
    )


def _finish_interrupted_load(pipeline: dlt.Pipeline, context: SyncContext, target: Target) -> bool:
    """A run killed after extracting leaves load packages behind. Load them first: `pipeline.run`
    would do so too, but would then skip this run's extraction and return as if it had synced."""
    if not pipeline.has_pending_data:
        return False
    context.progress("loading what an interrupted run left behind")
    with _dlt_step_errors():
        pipeline.normalize()
        with _load_destination(pipeline, target) as load_destination:
            pipeline.load(destination=load_destination)
    return True


@contextmanager
def _dlt_step_errors() -> Iterator[None]:
    """A Pipedrive error inside a dlt step surfaces as itself, not wrapped in dlt's step failure."""
    try:
        yield
    except (PipelineStepFailed, SignalReceivedException) as failure:
        cause = _pipedrive_cause(failure)
        if cause is not None:
            raise cause from None
        if _cause(failure, lambda error: isinstance(error, SignalReceivedException)) is not None:
            raise RunInterrupted("the run was asked to stop") from None  # at one of dlt's checkpoints
        raise


@contextmanager
def _load_destination(pipeline: dlt.Pipeline, target: Target) -> Iterator[object]:
    """The destination to load into (None: the pipeline's own). For DuckDB, one connection serves
    the load step (the pipeline keeps the destination `load` was given):
    given a path, dlt opens and closes the file, with a checkpoint, for every load job, about 60% of
    the load step's time. Opened only now, so BI readers are locked out only while it loads. Its
    memory limit keeps a large merge from holding the table in memory: DuckDB spills instead."""
    if pipeline.destination.destination_type != DUCKDB_DESTINATION_TYPE:
        yield None
        return
    connection = duckdb.connect(
        str(Path(target.duckdb_path).resolve()),
        config={"memory_limit": target.memory_limit, "preserve_insertion_order": False},
    )
    try:
        yield dlt.destinations.duckdb(connection)
    finally:
        connection.close()


def _probe_horizon(
    pipeline: dlt.Pipeline, context: SyncContext
) -> tuple[dict[str, EntityFreshness], datetime | None]:
    """Each resource's freshness, and where the change probe starts (None: no probe this run)."""
    raw_states = pipeline.state.get("sources", {}).get(SOURCE_NAME, {}).get("resources", {})
    freshness = {name: EntityFreshness.read(raw) for name, raw in raw_states.items()}
    since = probe_since(freshness, ENTITIES) if context.slow_refresh is not None else None
    return freshness, since


def _plan_freshness(
    client: PipedriveClient,
    context: SyncContext,
    freshness: dict[str, EntityFreshness],
    since: datetime | None,
    probe_is_first_request: bool,
) -> None:
    """With freshness tiers on and a probe horizon stored (`since`), the change probe
    (`/v1/recents`); then the plan of what this run reads (sources/pipedrive/freshness.py). A probe
    that is the run's first request is also its connection check: an address that does not answer
    fails the run at once, as the check would."""
    if context.slow_refresh is None:
        return
    probe = None
    if since is not None:
        try:
            probe = run_probe(client, since)
            context.progress(f"{len(probe.changes)} changes since the last run")
        except ApiError as failure:  # the probe only saves tokens: without it, every list is read
            if probe_is_first_request and isinstance(failure, UnreachableError):
                raise _unreachable(client, failure) from None
            context.progress(f"change probe failed ({failure}), reading every list")
    context.plan = build_plan(
        ENTITIES,
        freshness,
        probe,
        probe.server_now if probe else client.server_time(),
        context.slow_refresh,
        lambda entity: active_streams(entity, context),
    )
    if context.plan.skipped_entities:
        context.progress(
            f"unchanged since the last run, not read: {', '.join(context.plan.skipped_entities)}"
        )


def _checked_account(client: PipedriveClient, context: SyncContext) -> dict | None:
    """The account behind the credentials (None: the answer names none, or the budget is spent)."""
    try:
        return account_of(_check_connection(client, context))
    except BudgetExhaustedError as stop:
        context.report.stopped = stop
        return None


def _check_connection(client: PipedriveClient, context: SyncContext) -> dict:
    """One cheap sequential request first: a bad token or address fails once, before parallel
    resources could each send their own doomed request. A host that does not resolve fails at once
    (retrying DNS for half a minute helps nobody); one that does not answer is named in the error."""
    host = urlsplit(client.base_url).hostname or client.base_url
    try:
        socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        raise ConfigurationError(
            f"Cannot resolve the host {host}; check --base-url (or sources.pipedrive.company_domain) "
            "and your DNS or network."
        ) from None
    try:
        me = client.get_json(CONNECTION_CHECK_PATH).get("data") or {}
    except UnreachableError as error:
        raise _unreachable(client, error) from None
    company = me.get("company_name") or me.get("company_domain")
    context.progress(f"connected to {client.base_url}" + (f" ({company})" if company else ""))
    return me


def _unreachable(client: PipedriveClient, error: ApiError) -> ApiError:
    hint = (
        "its TLS certificate or protocol was refused; check the address and any proxy"
        if "SSL" in str(error)
        else "check --base-url, your network and any proxy"
    )
    return ApiError(f"Cannot reach {client.base_url}: {error}; {hint}.")


def _result(context: SyncContext, client: PipedriveClient, started: float, record: RunRecord) -> SyncResult:
    usage = client.usage
    stopped = context.report.stopped
    return SyncResult(
        rows_per_table=dict(context.report.rows),
        requests=usage.total_requests,
        tokens=usage.total_tokens,
        duration_s=time.monotonic() - started,
        complete=stopped is None,
        message=str(stopped) if stopped else "",
        requests_per_endpoint=dict(usage.requests),
        marked_deleted=dict(context.report.vanished),
        reconcile_requests=sum(context.report.reconcile_requests.values()),
        reconcile_tokens=sum(context.report.reconcile_tokens.values()),
        tokens_left_today=client.limiter.daily_tokens_left,
        run_id=record.run_id,
    )


def _resource_names(requested: Iterable[str]) -> list[str]:
    names = []
    for name in requested:
        name = PRODUCED_BY.get(name.strip(), name.strip())
        if name not in ENTITY_BY_NAME:
            raise PipedriveError(f"Unknown resource {name!r}; known: {', '.join(ENTITY_BY_NAME)}")
        names.append(name)
    return list(dict.fromkeys(names))


def _forget_state_without_database(duckdb_path, pipelines_dir: Path) -> None:
    """Cursors describe a database: with the database gone, old cursors would skip data."""
    if not Path(duckdb_path).exists():
        shutil.rmtree(pipelines_dir / pipeline_name_for(duckdb_path), ignore_errors=True)


def _pipedrive_cause(error: BaseException) -> PipedriveError | None:
    return _cause(error, lambda candidate: isinstance(candidate, PipedriveError))


def _cause(error: BaseException | None, matches: Callable[[BaseException], bool]) -> BaseException | None:
    seen = set()
    while error is not None and id(error) not in seen:
        if matches(error):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None
