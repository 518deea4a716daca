"""What a resource keeps between runs, typed. dlt persists each resource's state as a plain dict
(committed with the load package that carries its rows); `ResourceState` is a view of that dict:
its fields are the very dicts dlt stores, so changing them changes what dlt commits. Everything
that reads the state (the streams, `status`, the tests) goes through this class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime

from sources.pipedrive.timestamps import parse_instant

SOURCE_NAME = "pipedrive"


@dataclass
class ResourceState:
    # stream key (see `Stream.key`) -> newest `cursor_field` instant loaded, ISO 8601
    cursors: dict[str, str]
    # column -> Arrow kind learned from earlier batches and runs (the entity's records)
    column_types: dict[str, str]
    # child table -> column -> Arrow kind (kept per child: one shared dict gave every child table
    # the columns of its siblings, e.g. deal_followers the `id` and `sum` of deal products)
    child_column_types: dict[str, dict[str, str]]
    # stream key -> digest of the whole list loaded last (lists read whole, see streams.py)
    whole_list_digests: dict[str, str]
    # child table -> parent ids handed to dlt whose children are not fetched yet
    pending_children: dict[str, list]
    # stream key -> when (server time, ISO 8601) its ids were last all known: listed by
    # reconciliation, or read whole from the start
    reconciled: dict[str, str]

    @classmethod
    def bind(cls, raw: dict) -> ResourceState:
        """The state of a running resource (`dlt.current.resource_state()`), writable."""
        return cls(**{item.name: raw.setdefault(item.name, {}) for item in fields(cls)})

    @classmethod
    def read(cls, raw: Mapping | None) -> ResourceState:
        """A stored state, read-only by convention (a copy: changing it changes nothing)."""
        raw = raw or {}
        return cls(**{item.name: dict(raw.get(item.name) or {}) for item in fields(cls)})

    def reconciled_at(self, stream_key: str) -> datetime | None:
        stored = self.reconciled.get(stream_key)
        return parse_instant(stored) if stored else None

    def cursor(self, stream_key: str) -> datetime | None:
        stored = self.cursors.get(stream_key)
        return parse_instant(stored) if stored else None

    def move_cursor(self, stream_key: str, instant: datetime) -> None:
        self.cursors[stream_key] = instant.isoformat()


def resource_states(pipeline_state: Mapping) -> dict[str, ResourceState]:
    """resource name -> its state, from a whole dlt pipeline state (`pipeline.state`, or the
    `state.json` dlt keeps in the pipeline's working folder)."""
    resources = pipeline_state.get("sources", {}).get(SOURCE_NAME, {}).get("resources", {})
    return {name: ResourceState.read(raw) for name, raw in resources.items()}
