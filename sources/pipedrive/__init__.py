"""dlt source for Pipedrive: every entity, incremental, Arrow fast path.

The dlt source is imported on first use only: the CLI and `status` import this package (for its
errors and the entity table) without paying for dlt and pyarrow."""

from sources.pipedrive.entities import ENTITIES, ENTITY_BY_NAME

__all__ = ["ENTITIES", "ENTITY_BY_NAME", "pipedrive_source"]


def __getattr__(name: str):
    if name == "pipedrive_source":
        from sources.pipedrive.source import pipedrive_source

        return pipedrive_source
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
