"""Reconciliation: list the ids that exist upstream right now, to notice deletes that a list does
not show (hard deletes, purges, merged records, and soft deletes on accounts whose lists leave
deleted records out; the specs do not say which lists do). `vanished.py` flags what is gone.

Entities without a delete feed are listed when their last listing is older than
`reconcile_every_hours` (0: every run), measured on the API's clock; `--reconcile` lists every
selected entity. A stream read from its start to its end counts as a listing. The cheapest listing
the specs allow: the largest page (`limit=500`), no optional extras (`include_fields`), v2 keyset
order by id (stable while records change); tokens are per page, whatever the payload.
"""

from __future__ import annotations

from datetime import timedelta

from sources.pipedrive.context import DEFAULT_RECONCILE_EVERY_HOURS, SyncContext
from sources.pipedrive.costs import token_cost
from sources.pipedrive.entities import Entity, Stream
from sources.pipedrive.state import ResourceState

V2_ID_LISTING = {"sort_by": "id", "sort_direction": "asc"}
NOT_FOR_ID_LISTING = ("sort_by", "sort_direction", "include_fields")


def reconcile_due(
    entity: Entity, streams: tuple[Stream, ...], state: ResourceState, context: SyncContext
) -> bool:
    if context.force_reconcile:
        return True
    if entity.delete_feed:
        return False
    every = context.reconcile_every_hours
    every = DEFAULT_RECONCILE_EVERY_HOURS if every is None else every
    now = context.client.server_now()
    due = any(
        (last := state.reconciled_at(stream.key)) is None or now - last >= timedelta(hours=every)
        for stream in streams
    )
    return due and _affordable(entity, streams, context)


def _affordable(entity: Entity, streams: tuple[Stream, ...], context: SyncContext) -> bool:
    """A scheduled listing waits for a run that can pay at least one page per stream: begun and
    cut off by the budget, it would stop every run, and the runs after it, short of complete."""
    left = context.limiter.tokens_left_for_run()
    if left is None or left >= sum(token_cost(stream.path) for stream in streams):
        return True
    context.progress(f"reconcile: {entity.name} ids not listed this run, too few tokens left")
    return False


def upstream_ids(
    entity: Entity, streams: tuple[Stream, ...], state: ResourceState, context: SyncContext
) -> set:
    """Every id the entity's streams list now; records the listing in `state` and its cost in
    the run report."""
    context.progress(f"reconcile: listing {entity.name} ids")
    listed_at = None  # the API's clock at the first page
    ids: set = set()
    requests = tokens = 0
    try:
        for stream in streams:
            params = {key: value for key, value in stream.params.items() if key not in NOT_FOR_ID_LISTING}
            if stream.api == "v2":
                params.update(V2_ID_LISTING)
            for page in stream.paginator.pages(context.client, stream.path, params):
                requests, tokens = requests + 1, tokens + token_cost(stream.path)
                listed_at = listed_at or context.client.server_now()
                ids.update(row[entity.primary_key] for row in page)
    finally:
        context.report.add_reconcile_cost(entity.name, requests, tokens)
    for stream in streams:
        state.reconciled[stream.key] = listed_at.isoformat()
    return ids
