"""THE declaration of every Pipedrive entity we sync: where it lives, which API version, how it is
read incrementally, its key and child tables. Logic lives in `streams.py`; this file is data only.

`read` says how a run limits what it reads:
- "updated_since": the server filters by `updated_since` on `cursor_field` (inclusive).
- "client_cutoff": no server filter; read newest first and stop at the cursor (offset APIs), or
  for one-page endpoints read whole and keep rows at or after the cursor.
- "whole": small lists, read completely every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sources.pipedrive.pagination import CURSOR, OFFSET, Paginator


@dataclass(frozen=True)
class Stream:
    """One list endpoint feeding an entity table, and how it pages (`CURSOR`: v2, `OFFSET`: v1)."""

    path: str
    paginator: Paginator
    params: dict = field(default_factory=dict)
    read: str = "updated_since"
    archived: bool | None = None  # value of the `_archived` column for rows from this stream

    @property
    def api(self) -> str:
        return self.paginator.api

    @property
    def key(self) -> str:
        """Names the stream in resource state (its cursor, its list digest)."""
        params = ",".join(f"{name}={value}" for name, value in sorted(self.params.items()))
        return f"{self.path}?{params}"


@dataclass(frozen=True)
class Entity:
    name: str
    api: str  # "v2" | "v1": the API version the default streams use
    streams: tuple[Stream, ...]
    primary_key: str | None = "id"
    cursor_field: str | None = "update_time"
    write_disposition: str = "merge"
    float_columns: tuple[str, ...] = ()
    json_columns: tuple[str, ...] = ("custom_fields",)
    # The deprecated v1 list endpoints, switched on per entity by the `v1_list_entities` setting.
    v1_streams: tuple[Stream, ...] = ()
    # Child table filled from this entity's changed ids (see CHILDREN).
    children: tuple[str, ...] = ()
    snapshots: bool = False  # append a `deal_snapshots` row per extracted record


@dataclass(frozen=True)
class Child:
    """A table fetched in batches for the parent ids that changed in this run."""

    name: str
    path: str
    paginator: Paginator
    ids_param: str
    parent_key: str
    batch_size: int = 100
    params: dict = field(default_factory=dict)
    float_columns: tuple[str, ...] = ()
    # Parent field (asked for with `include_fields`, not stored) telling how many children a parent
    # has: parents with 0 need no request, their old child rows are simply removed.
    count_field: str | None = None


V2_ASC = {"sort_by": "update_time", "sort_direction": "asc"}
WITH_PRODUCT_COUNT = {"include_fields": "products_count"}
V1_DESC = {"sort": "update_time DESC"}
ALL_DEAL_STATUSES = {"status": "open,won,lost,deleted"}
V1_ALL_DEALS = {"status": "all_not_deleted,deleted"}
DEAL_NUMBERS = ("value", "probability", "arr", "mrr", "acv")

ENTITIES: tuple[Entity, ...] = (
    Entity(
        "deals",
        "v2",
        (
            Stream(
                "/api/v2/deals", CURSOR, {**ALL_DEAL_STATUSES, **V2_ASC, **WITH_PRODUCT_COUNT}, archived=False
            ),
            Stream(
                "/api/v2/deals/archived",
                CURSOR,
                {**ALL_DEAL_STATUSES, **V2_ASC, **WITH_PRODUCT_COUNT},
                archived=True,
            ),
        ),
        float_columns=DEAL_NUMBERS,
        v1_streams=(
            Stream("/v1/deals", OFFSET, {**V1_ALL_DEALS, **V1_DESC}, read="client_cutoff", archived=False),
            Stream(
                "/v1/deals/archived", OFFSET, {**V1_ALL_DEALS, **V1_DESC}, read="client_cutoff", archived=True
            ),
        ),
        children=("deal_products",),
        snapshots=True,
    ),
    Entity(
        "persons",
        "v2",
        (Stream("/api/v2/persons", CURSOR, V2_ASC),),
        v1_streams=(Stream("/v1/persons", OFFSET, V1_DESC, read="client_cutoff"),),
    ),
    Entity(
        "organizations",
        "v2",
        (Stream("/api/v2/organizations", CURSOR, V2_ASC),),
        v1_streams=(Stream("/v1/organizations", OFFSET, V1_DESC, read="client_cutoff"),),
    ),
    Entity(
        "activities",
        "v2",
        (Stream("/api/v2/activities", CURSOR, V2_ASC),),
        v1_streams=(Stream("/v1/activities", OFFSET, {"user_id": 0, **V1_DESC}, read="client_cutoff"),),
    ),
    Entity(
        "products",
        "v2",
        (Stream("/api/v2/products", CURSOR, V2_ASC),),
        v1_streams=(Stream("/v1/products", OFFSET, V1_DESC, read="client_cutoff"),),
    ),
    Entity(
        "pipelines",
        "v2",
        (Stream("/api/v2/pipelines", CURSOR, read="whole"),),
        cursor_field=None,
        v1_streams=(Stream("/v1/pipelines", OFFSET, read="whole"),),
    ),
    Entity(
        "stages",
        "v2",
        (Stream("/api/v2/stages", CURSOR, read="whole"),),
        cursor_field=None,
        v1_streams=(Stream("/v1/stages", OFFSET, read="whole"),),
    ),
    Entity("users", "v1", (Stream("/v1/users", OFFSET, read="client_cutoff"),), cursor_field="modified"),
    Entity(
        "leads",
        "v1",
        (
            Stream("/v1/leads", OFFSET, V1_DESC, archived=False),
            Stream("/v1/leads/archived", OFFSET, V1_DESC, read="client_cutoff", archived=True),
        ),
        json_columns=("custom_fields", "value", "label_ids"),
    ),
    Entity("notes", "v1", (Stream("/v1/notes", OFFSET, V1_DESC),)),
    Entity("activity_types", "v1", (Stream("/v1/activityTypes", OFFSET, read="whole"),), cursor_field=None),
    Entity("currencies", "v1", (Stream("/v1/currencies", OFFSET, read="whole"),), cursor_field=None),
    Entity("lead_labels", "v1", (Stream("/v1/leadLabels", OFFSET, read="whole"),), cursor_field=None),
    *(
        Entity(
            f"{kind}_fields",
            "v2",
            (Stream(f"/api/v2/{kind}Fields", CURSOR, read="whole"),),
            primary_key="field_code",  # merged, so an unchanged list is not loaded again
            cursor_field=None,
            json_columns=("options", "subfields", "ui_visibility", "important_fields", "required_fields"),
        )
        for kind in ("deal", "person", "organization", "product", "activity")
    ),
)

CHILDREN: dict[str, Child] = {
    "deal_products": Child(
        "deal_products",
        "/api/v2/deals/products",
        CURSOR,
        ids_param="deal_ids",
        parent_key="deal_id",
        params={"sort_by": "id"},
        float_columns=("sum", "tax", "discount", "quantity", "item_price"),
        count_field="products_count",
    ),
}

SNAPSHOT_TABLE = "deal_snapshots"
SNAPSHOT_COLUMNS = (
    "id",
    "stage_id",
    "pipeline_id",
    "status",
    "value",
    "currency",
    "update_time",
    "is_deleted",
    "_archived",
    "_extracted_at",
)

ENTITY_BY_NAME = {entity.name: entity for entity in ENTITIES}
