"""Reconciliation: list the ids that exist upstream right now, to notice hard deletes
(purged or merged records simply stop appearing in every list)."""

from __future__ import annotations

from sources.pipedrive.context import SyncContext
from sources.pipedrive.entities import Entity
from sources.pipedrive.streams import active_streams

# The smallest pages we can ask for: biggest page size, no optional extras, ids in key order.
V2_ID_LISTING = {"sort_by": "id", "sort_direction": "asc"}
NOT_FOR_ID_LISTING = ("sort_by", "sort_direction", "include_fields")


def upstream_ids(entity: Entity, context: SyncContext) -> set:
    ids: set = set()
    for stream in active_streams(entity, context):
        params = {key: value for key, value in stream.params.items() if key not in NOT_FOR_ID_LISTING}
        if stream.api == "v2" and stream.read != "whole":
            params.update(V2_ID_LISTING)
        for page in stream.paginator.pages(context.client, stream.path, params):
            ids.update(row[entity.primary_key] for row in page)
    return ids
