"""Pipedrive API v1, converted on the fly from the store's v2-shaped records.

`register(router)` adds the routes; `install_converters(store)` feeds the control API's
`truth(version="v1")`.
"""

from simulator.v1.endpoints import v1_record
from simulator.v1.routes import register

V1_ENTITIES = ("deals", "persons", "organizations", "activities", "products", "pipelines", "stages")


def install_converters(store) -> None:
    """Let `store.v1_converters[entity](store, record)` give the v1 shape of a record."""
    for entity in V1_ENTITIES:
        store.v1_converters[entity] = lambda store_, record, entity=entity: v1_record(store_, entity, record)


__all__ = ["install_converters", "register"]
