"""The Python control API: start a simulator in-process, mutate it, read the ground truth.

with Simulator.start(seed=1, counts={"deals": 1000}) as sim:
    requests.get(f"{sim.base_url}/api/v2/deals", headers={"x-api-token": sim.token})
"""

from __future__ import annotations

import copy
import importlib
import threading
from collections.abc import Callable

import orjson

from simulator import DEFAULT_COMPANY_DOMAIN, DEFAULT_TOKEN, api_v2, api_v2_projects, field_ops, records
from simulator.clock import DEFAULT_START, SimClock
from simulator.faults import FaultConfig, Faults
from simulator.generate import generate
from simulator.ratelimit import RateLimiter
from simulator.routing import Router
from simulator.server import RequestInfo, RequestLog, SimulatorServer
from simulator.store import Store

SHUTDOWN_POLL_SECONDS = 0.05  # how quickly stop() takes effect


def build_router(store: Store) -> Router:
    """v2 routes, plus the v1 routes and converters that `simulator.v1` provides."""
    router = Router()
    api_v2.register(router)
    api_v2_projects.register(router)
    try:
        v1 = importlib.import_module("simulator.v1")
    except ModuleNotFoundError as missing:
        if missing.name != "simulator.v1":
            raise
        return router
    v1.register(router)
    v1.install_converters(store)
    return router


class Simulator:
    #: Defaults for every simulator of this process: strict mode (see `simulator.contract`) and a
    #: log that strict simulators write their requests to. The test suite turns both on
    #: (tests/conftest.py); a test that sends off-spec requests on purpose passes `strict=False`.
    default_strict = False
    default_request_log: RequestLog | None = None

    def __init__(
        self,
        seed: int = 1,
        counts: dict[str, int] | None = None,
        token: str = DEFAULT_TOKEN,
        plan: str | None = None,
        latency_ms: float = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        start_time: int = DEFAULT_START,
        follow_real_time: bool = False,
        seats: int = 1,
        daily_budget: int | None = None,
        penalty_limit: int = 10,
        burst_limit: int | None = None,
        strict: bool | None = None,
        request_log: RequestLog | None = None,
        company_domain: str = DEFAULT_COMPANY_DOMAIN,
        deleted_listing: str = "flagged",
    ) -> None:
        strict = self.default_strict if strict is None else strict
        if request_log is None and strict:
            request_log = self.default_request_log
        self.token = token
        self.clock = SimClock(start_time, follow_real_time)
        self.store = Store(self.clock, seed, company_domain)
        self.set_deleted_listing(deleted_listing)
        generate(self.store, counts)
        self.limiter = RateLimiter(plan, self.clock, seats, daily_budget, penalty_limit, burst_limit)
        self.faults = Faults(FaultConfig(latency_ms=latency_ms))
        self.server = SimulatorServer(
            (host, port),
            self.store,
            build_router(self.store),
            {token: "token-1"},
            self.limiter,
            self.faults,
            strict,
            request_log,
        )
        self._thread: threading.Thread | None = None

    # ---- lifecycle -----------------------------------------------------------------------

    @classmethod
    def start(cls, **kwargs) -> Simulator:
        """Generate the data and serve it on a free port in a background thread."""
        sim = cls(**kwargs)
        sim._thread = threading.Thread(target=sim.serve_forever, name="pipedrive-simulator", daemon=True)
        sim._thread.start()
        return sim

    def serve_forever(self) -> None:
        """Serve in the calling thread (the CLI), until `stop()` from another thread or a signal."""
        self.server.serve_forever(poll_interval=SHUTDOWN_POLL_SECONDS)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def company(self) -> dict:
        """The simulated account's identity as `/v1/users/me` gives it (company_id, company_domain...)."""
        return dict(self.store.company)

    @property
    def seed(self) -> int:
        return self.store.seed

    # ---- clock ---------------------------------------------------------------------------

    def now(self) -> int:
        return self.clock.now()

    def advance(self, seconds: int) -> int:
        """Move the clock; soft-deleted records older than 30 days are purged on the way."""
        now = self.clock.advance(seconds)
        self.purge()
        return now

    # ---- records -------------------------------------------------------------------------

    # Changes made here are recorded in deal history as a user's in the app (HTTP writes: "api").

    def create(self, entity: str, data: dict) -> dict:
        with self.store.changes_from("app"):
            return copy.deepcopy(records.create(self.store, entity, data))

    def update(self, entity: str, record_id, changes: dict) -> dict:
        with self.store.changes_from("app"):
            return copy.deepcopy(records.update(self.store, entity, record_id, changes))

    def delete(self, entity: str, record_id) -> None:
        with self.store.changes_from("app"):
            self.store.soft_delete(entity, record_id)

    def archive(self, entity: str, record_id, archived: bool = True) -> dict:
        if entity not in ("deals", "leads"):
            raise ValueError("only deals and leads can be archived")
        with self.store.changes_from("app"):
            record = copy.deepcopy(self.store.get(entity, record_id))
            record["is_archived"] = archived
            return copy.deepcopy(self.store.replace(entity, record))

    def purge(self) -> int:
        with self.store.lock:
            return self.store.purge()

    def get(self, entity: str, record_id) -> dict:
        with self.store.lock:
            return copy.deepcopy(self.store.get(entity, record_id))

    def truth(self, entity: str, version: str = "v2", include_deleted: bool = True) -> list[dict]:
        """Every record (by id) exactly as the API serves it; v1 via the converters of `simulator.v1`."""
        with self.store.lock:
            table = self.store.table(entity)
            rows = [table.rows[record_id] for record_id in table.by_id]
            if not include_deleted:
                rows = [row for row in rows if not row.get("is_deleted")]
            if version == "v1" and table.spec.shape == "v2":
                convert = self.store.v1_converters.get(entity)
                if convert is None:
                    raise ValueError(f"no v1 converter registered for {entity}")
                rows = [convert(self.store, row) for row in rows]
            return orjson.loads(orjson.dumps(rows))

    def deal_changelog(self, deal_id: int) -> list[dict]:
        """Every change of one deal, newest first, exactly as `/v1/deals/{id}/changelog` pages it."""
        with self.store.lock:
            deal = self.store.get("deals", deal_id)
            return [change.as_api() for change in reversed(self.store.deal_history.of(deal))]

    def count(self, entity: str) -> int:
        return len(self.store.table(entity))

    # ---- fields --------------------------------------------------------------------------

    def fields(self, field_entity: str) -> list[dict]:
        with self.store.lock:
            return self.store.field_registry(field_entity).snapshot()

    def add_field(
        self, field_entity: str, name: str, field_type: str, options=None, description: str = ""
    ) -> dict:
        return copy.deepcopy(
            field_ops.add_field(self.store, field_entity, name, field_type, options, description)
        )

    def rename_field(self, field_entity: str, field_code: str, new_name: str) -> dict:
        return copy.deepcopy(
            field_ops.update_field(self.store, field_entity, field_code, {"field_name": new_name})
        )

    def delete_field(self, field_entity: str, field_code: str) -> None:
        field_ops.delete_field(self.store, field_entity, field_code)

    def add_options(self, field_entity: str, field_code: str, labels: list[str]) -> list[dict]:
        return field_ops.add_options(
            self.store, field_entity, field_code, [{"label": label} for label in labels]
        )

    def rename_option(self, field_entity: str, field_code: str, option_id: int, label: str) -> None:
        field_ops.rename_options(self.store, field_entity, field_code, [{"id": option_id, "label": label}])

    def delete_option(self, field_entity: str, field_code: str, option_id: int) -> None:
        field_ops.delete_options(self.store, field_entity, field_code, [{"id": option_id}])

    # ---- strict mode ---------------------------------------------------------------------

    @property
    def strict(self) -> bool:
        """True: a query parameter or enum value the official specs do not declare is a 400."""
        return self.server.strict

    @strict.setter
    def strict(self, on: bool) -> None:
        self.server.strict = on

    # ---- faults, stats, hooks ------------------------------------------------------------

    def set_deleted_listing(self, mode: str) -> None:
        """ "flagged": soft-deleted persons, organizations, activities and products stay in their v2
        lists with `is_deleted: true`; "hidden": those lists leave them out (deals keep
        `status=deleted` either way). The specs do not say which Pipedrive does."""
        if mode not in api_v2.DELETED_LISTINGS:
            raise ValueError(
                f"deleted_listing must be one of {', '.join(api_v2.DELETED_LISTINGS)}, not {mode!r}"
            )
        with self.store.lock:
            self.store.deleted_listing = mode

    def set_faults(self, **settings) -> FaultConfig:
        """e.g. `set_faults(error_rate=0.1, reset_rate=0.05, seed=7)`; `set_faults()` turns them off."""
        if not settings:
            self.faults.configure(FaultConfig())
            return self.faults.config
        return self.faults.update(**settings)

    @property
    def stats(self) -> dict:
        """{"requests", "tokens", "endpoints": {"GET /api/v2/deals": {"requests", "tokens", "statuses"}}}"""
        return self.server.stats.snapshot()

    def reset_stats(self) -> None:
        self.server.stats.reset()

    def daily_tokens_remaining(self) -> int:
        return self.limiter.daily_remaining()

    def on_request(self, hook: Callable[[RequestInfo], None]) -> Callable[[], None]:
        """Call `hook(info)` before each admitted request; returns a function that removes the hook."""
        self.server.hooks.append(hook)
        return lambda: self.server.hooks.remove(hook)
