"""The dlt source: one parallelized resource per entity, built from the entity table. On its own,
in any dlt pipeline, it yields the whole raw layer: updates, creates, deletes (flagged), records
that vanished upstream (flagged), and child tables that drop removed children."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import dlt

from sources.pipedrive.client import PipedriveClient, resolve_base_url
from sources.pipedrive.context import DEFAULT_RECONCILE_EVERY_HOURS, SyncContext
from sources.pipedrive.entities import ENTITIES, Entity
from sources.pipedrive.errors import ConfigurationError
from sources.pipedrive.rate_limit import BurstLimiter
from sources.pipedrive.streams import MERGE_COLUMNS, read_entity

log = logging.getLogger(__name__)


@dlt.source(name="pipedrive", section="pipedrive", max_table_nesting=0)
def pipedrive_source(
    api_token: str | None = dlt.secrets.value,
    company_domain: str | None = None,
    base_url: str | None = None,
    oauth_access_token: str | None = None,
    v1_list_entities: Iterable[str] = (),
    reconcile_every_hours: float = DEFAULT_RECONCILE_EVERY_HOURS,
    reconcile: bool = False,
    context: SyncContext | None = None,
):
    """Every Pipedrive entity as a dlt resource. Settings not passed come from dlt config
    (`sources.pipedrive.api_token`, `company_domain` or `base_url`, `reconcile_every_hours`, ...).
    `reconcile_every_hours`: how often the ids of entities without a delete feed are listed to
    notice deletes (0: every run); `reconcile`: list them in this run. Pass `context` to share a
    client and a report with the caller (as `pipelines.sync.run_sync` does)."""
    if reconcile_every_hours is None or float(reconcile_every_hours) < 0:
        raise ConfigurationError(
            f"reconcile_every_hours must be 0 (every run) or a number of hours, not {reconcile_every_hours!r}"
        )
    if context is None:
        limiter = BurstLimiter()
        client = PipedriveClient(
            resolve_base_url(company_domain, base_url), api_token, oauth_access_token, limiter=limiter
        )
        context = SyncContext(
            client, limiter, v1_list_entities=frozenset(v1_list_entities), progress=log.info
        )
    if context.reconcile_every_hours is None:
        context.reconcile_every_hours = float(reconcile_every_hours)
    context.force_reconcile = context.force_reconcile or reconcile
    return [entity_resource(entity, context) for entity in ENTITIES]


def entity_resource(entity: Entity, context: SyncContext):
    def records():
        yield from read_entity(entity, context)

    return dlt.resource(
        records,
        name=entity.name,
        write_disposition=entity.write_disposition,
        primary_key=entity.primary_key if entity.write_disposition == "merge" else None,
        columns=MERGE_COLUMNS if entity.write_disposition == "merge" else None,
        parallelized=True,
    )
