"""dlt source for Pipedrive: every entity, incremental, Arrow fast path."""

from sources.pipedrive.entities import ENTITIES, ENTITY_BY_NAME
from sources.pipedrive.source import pipedrive_source

__all__ = ["ENTITIES", "ENTITY_BY_NAME", "pipedrive_source"]
