"""A simulator account with every custom-field type and the hostile names, loaded as raw tables."""

from __future__ import annotations

import duckdb
import pytest
import requests

from simulator.control import Simulator
from simulator.fields import FIELD_ENTITIES
from tests.transforms.raw_layout import write_raw_table

SMALL_ACCOUNT = {
    "users": 6, "pipelines": 3, "organizations": 40, "persons": 60, "products": 15, "deals": 150,
    "deal_products": 60, "activities": 80, "leads": 40, "notes": 20,
}  # fmt: skip
RECORD_ENTITIES = (
    "deals", "persons", "organizations", "activities", "products", "pipelines", "stages", "users", "leads",
    "notes", "activity_types", "currencies", "lead_labels", "deal_products",
)  # fmt: skip
# entities the deprecated v1 list endpoints can serve; the others exist only in v1 (or only in v2)
V1_LIST_ENTITIES = ("deals", "persons", "organizations", "activities", "products")


def v1_leads(sim: Simulator) -> list[dict]:
    """Leads as GET /v1/leads and /v1/leads/archived serve them (deal custom fields as hash keys)."""
    leads = []
    for path, archived in (("/v1/leads", False), ("/v1/leads/archived", True)):
        response = requests.get(
            f"{sim.base_url}{path}", params={"limit": 500}, headers={"x-api-token": sim.token}
        )
        response.raise_for_status()
        leads += [{**lead, "_archived": archived} for lead in response.json()["data"] or ()]
    assert len(leads) == sim.count("leads") <= 500
    return leads


def load_raw(con: duckdb.DuckDBPyConnection, sim: Simulator, tmp_path, version: str = "v2") -> None:
    """Every entity and field definition of the account as the sync would land it in pipedrive_raw."""
    for entity in RECORD_ENTITIES:
        if entity == "leads":
            records, source_api = v1_leads(sim), "v1"
        elif version == "v1" and entity in V1_LIST_ENTITIES:
            records, source_api = sim.truth(entity, version="v1"), "v1"
        elif entity in ("deals", "persons", "organizations", "activities", "products", "pipelines", "stages",
                        "deal_products"):  # fmt: skip
            records, source_api = sim.truth(entity), "v2"
        else:
            records, source_api = sim.truth(entity), "v1"
        write_raw_table(con, entity, records, source_api, tmp_path)
    for field_entity in FIELD_ENTITIES:
        write_raw_table(con, field_entity, sim.fields(field_entity), "v2", tmp_path)


@pytest.fixture(scope="module")
def sim():
    with Simulator.start(seed=7, counts=SMALL_ACCOUNT) as simulator:
        yield simulator


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()
