"""The dlt source: one parallelized resource per entity, built from the entity table."""

from __future__ import annotations

from collections.abc import Iterable

import dlt

from sources.pipedrive.client import PipedriveClient, resolve_base_url
from sources.pipedrive.context import SyncContext
from sources.pipedrive.entities import ENTITIES, Entity
from sources.pipedrive.rate_limit import BurstLimiter
from sources.pipedrive.streams import MERGE_COLUMNS, read_entity


@dlt.source(name="pipedrive", section="pipedrive", max_table_nesting=0)
def pipedrive_source(
    api_token: str | None = dlt.secrets.value,
    company_domain: str | None = None,
    base_url: str | None = None,
    oauth_access_token: str | None = None,
    v1_list_entities: Iterable[str] = (),
    context: SyncContext | None = None,
):
    """Every Pipedrive entity as a dlt resource. Pass `context` to share a client and a report
    with the caller (as `pipelines.sync.run_sync` does); otherwise settings come from dlt config
    (`sources.pipedrive.api_token`, `company_domain` or `base_url`)."""
    if context is None:
        limiter = BurstLimiter()
        client = PipedriveClient(
            resolve_base_url(company_domain, base_url), api_token, oauth_access_token, limiter=limiter
        )
        context = SyncContext(client, limiter, v1_list_entities=frozenset(v1_list_entities))
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
