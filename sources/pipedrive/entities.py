"""THE declaration of every Pipedrive entity we sync: where it lives, which API version, how it is
read incrementally, its key and child tables. Logic lives in `streams.py`; this file is data only.

`read` says how a run limits what it reads:
- "updated_since": the server filters by `updated_since` on `cursor_field` (inclusive).
- "client_cutoff": no server filter; read newest first and stop at the cursor (offset APIs), or
  for one-page endpoints read whole and keep rows at or after the cursor.
- "whole": small lists, read completely every run.

Every request must be one the official specs declare (path, query parameters, enum values): the
test suite runs against a strict simulator and checks each request against the spec files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.deal_history import HISTORY_TABLES
from sources.pipedrive.pagination import (
    CURSOR,
    FILES_PAGE,
    GOALS_PAGE,
    OFFSET,
    ONE_PAGE,
    ONE_PAGE_V2,
    Paginator,
)


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
    # Freshness (sources/pipedrive/freshness.py): "core" entities are checked every run; the others
    # ("reference": field lists, pipelines, stages, users, reference data, the long tail) are read
    # when `/v1/recents` shows a change to them, and at least every `slow_refresh_minutes`.
    tier: str = "reference"
    recents_item: str | None = None  # the `item` type `/v1/recents` reports this entity's changes as
    fields_entity: str | None = None  # the field list naming its custom-field keys
    # The list reports deletes itself (deals: `status=deleted`). Entities without such a feed have
    # their ids listed every `reconcile_every_hours` to notice deletes a list does not show.
    delete_feed: bool = False


@dataclass(frozen=True)
class Child:
    """A table re-read for the parents that changed in this run; it replaces those parents' rows
    (merged on `parent_key`), so children removed upstream disappear. Fetched `batch_size`
    parents per request through `ids_param` (`deal_ids=1,2,3`), or, with `ids_param` None, one
    request per parent with the id in the path (`/v1/deals/{parent_id}/participants`)."""

    name: str
    path: str
    paginator: Paginator
    ids_param: str | None
    parent_key: str
    batch_size: int = 100
    params: dict = field(default_factory=dict)
    float_columns: tuple[str, ...] = ()
    # Parent field (asked for with `include_fields`, not stored) telling how many children a parent
    # has: parents with 0 need no request, their old child rows are simply removed.
    count_field: str | None = None
    # A path with `{id}` is read one parent at a time (no batch form exists); its rows get the
    # parent's id in `parent_key`.
    primary_key: str | tuple[str, ...] = "id"

    @property
    def per_parent(self) -> bool:
        return "{id}" in self.path


V2_ASC = {"sort_by": "update_time", "sort_direction": "asc"}
# v2 products declare no `updated_since`, but do sort by update_time: newest first, stop at the cursor
V2_DESC = {"sort_by": "update_time", "sort_direction": "desc"}
# counts of the children read per deal: deals without any need no request for them
WITH_PRODUCT_COUNT = {"include_fields": "products_count,participants_count,followers_count"}
V1_DESC = {"sort": "update_time DESC"}
ALL_DEAL_STATUSES = {"status": "open,won,lost,deleted"}
# the v1 deal lists' `status` takes one value (last documented shape): deleted deals are a stream apart
V1_DEAL_STATUSES = ({"status": "all_not_deleted"}, {"status": "deleted"})
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
        v1_streams=tuple(
            Stream(path, OFFSET, {**status, **V1_DESC}, read="client_cutoff", archived=archived)
            for path, archived in (("/v1/deals", False), ("/v1/deals/archived", True))
            for status in V1_DEAL_STATUSES
        ),
        children=("deal_products", "deal_installments", "deal_participants", "deal_followers"),
        snapshots=True,
        tier="core",
        recents_item="deal",
        fields_entity="deal_fields",
        delete_feed=True,
    ),
    Entity(
        "persons",
        "v2",
        (Stream("/api/v2/persons", CURSOR, V2_ASC),),
        v1_streams=(Stream("/v1/persons", OFFSET, V1_DESC, read="client_cutoff"),),
        tier="core",
        recents_item="person",
        fields_entity="person_fields",
    ),
    Entity(
        "organizations",
        "v2",
        (Stream("/api/v2/organizations", CURSOR, V2_ASC),),
        v1_streams=(Stream("/v1/organizations", OFFSET, V1_DESC, read="client_cutoff"),),
        tier="core",
        recents_item="organization",
        fields_entity="organization_fields",
    ),
    Entity(
        "activities",
        "v2",
        (Stream("/api/v2/activities", CURSOR, V2_ASC),),
        # the last documented /v1/activities and /v1/products declare no `sort`: read whole
        v1_streams=(Stream("/v1/activities", OFFSET, {"user_id": 0}, read="whole"),),
        tier="core",
        recents_item="activity",
        fields_entity="activity_fields",
    ),
    Entity(
        "products",
        "v2",
        (Stream("/api/v2/products", CURSOR, V2_DESC, read="client_cutoff"),),
        v1_streams=(Stream("/v1/products", OFFSET, read="whole"),),
        tier="core",
        recents_item="product",
        fields_entity="product_fields",
        children=("product_variations",),
    ),
    Entity(
        "pipelines",
        "v2",
        (Stream("/api/v2/pipelines", CURSOR, read="whole"),),
        cursor_field=None,
        v1_streams=(Stream("/v1/pipelines", ONE_PAGE, read="whole"),),
        recents_item="pipeline",
    ),
    Entity(
        "stages",
        "v2",
        (Stream("/api/v2/stages", CURSOR, read="whole"),),
        cursor_field=None,
        v1_streams=(Stream("/v1/stages", ONE_PAGE, read="whole"),),
        recents_item="stage",
    ),
    Entity(
        "users",
        "v1",
        (Stream("/v1/users", ONE_PAGE, read="client_cutoff"),),
        cursor_field="modified",
        recents_item="user",
    ),
    Entity(
        "leads",
        "v1",
        (
            Stream("/v1/leads", OFFSET, V1_DESC, archived=False),
            Stream("/v1/leads/archived", OFFSET, V1_DESC, read="client_cutoff", archived=True),
        ),
        json_columns=("custom_fields", "value", "label_ids"),
        tier="core",  # /v1/recents does not report leads: read every run
        fields_entity="deal_fields",
    ),
    Entity("notes", "v1", (Stream("/v1/notes", OFFSET, V1_DESC),), tier="core", recents_item="note"),
    Entity(
        "activity_types",
        "v1",
        (Stream("/v1/activityTypes", ONE_PAGE, read="whole"),),
        cursor_field=None,
        recents_item="activityType",
    ),
    Entity("currencies", "v1", (Stream("/v1/currencies", ONE_PAGE, read="whole"),), cursor_field=None),
    Entity("lead_labels", "v1", (Stream("/v1/leadLabels", ONE_PAGE, read="whole"),), cursor_field=None),
    # Projects (API v2): no `updated_since` in the spec, so read whole (merged, unchanged lists not loaded).
    Entity(
        "projects",
        "v2",
        (
            Stream("/api/v2/projects", CURSOR, read="whole", archived=False),
            Stream("/api/v2/projects/archived", CURSOR, read="whole", archived=True),
        ),
        cursor_field=None,
        json_columns=("custom_fields", "deal_ids", "person_ids", "org_ids", "label_ids"),
    ),
    Entity(
        "tasks",
        "v2",
        (Stream("/api/v2/tasks", CURSOR, read="whole"),),
        cursor_field=None,
        json_columns=("assignee_ids",),
    ),  # fmt: skip
    Entity(
        "boards",
        "v2",
        (Stream("/api/v2/boards", ONE_PAGE_V2, read="whole"),),
        cursor_field=None,
        children=("phases",),
    ),
    # Long-tail v1 lists, read whole: none of them offers an incremental filter.
    Entity("call_logs", "v1", (Stream("/v1/callLogs", OFFSET, read="whole"),), cursor_field=None),
    Entity(
        "goals",
        "v1",
        (
            Stream("/v1/goals/find", GOALS_PAGE, {"is_active": "true"}, read="whole"),
            Stream("/v1/goals/find", GOALS_PAGE, {"is_active": "false"}, read="whole"),
        ),
        cursor_field=None,
        json_columns=("type", "assignee", "duration", "expected_outcome", "report_ids"),
    ),
    # File metadata (the list never carries contents), newest first down to the cursor: no
    # `updated_since` in the spec, but `sort=update_time DESC`.
    Entity(
        "files",
        "v1",
        (Stream("/v1/files", FILES_PAGE, V1_DESC, read="client_cutoff"),),
        recents_item="file",
    ),
    Entity(
        "filters",
        "v1",
        (Stream("/v1/filters", ONE_PAGE, read="whole"),),
        cursor_field=None,
        recents_item="filter",
    ),
    Entity(
        "note_fields",
        "v1",
        (Stream("/v1/noteFields", ONE_PAGE, read="whole"),),
        primary_key="key",
        cursor_field=None,
        json_columns=("custom_fields", "options"),
    ),
    Entity(
        "lead_sources",
        "v1",
        (Stream("/v1/leadSources", ONE_PAGE, read="whole"),),
        primary_key="name",
        cursor_field=None,
    ),
    *(
        Entity(
            f"{kind}_fields",
            "v2",
            (Stream(f"/api/v2/{kind}Fields", CURSOR, read="whole"),),
            primary_key="field_code",  # merged, so an unchanged list is not loaded again
            cursor_field=None,
            json_columns=("options", "subfields", "ui_visibility", "important_fields", "required_fields"),
        )
        for kind in ("deal", "person", "organization", "product", "activity", "project")
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
    "deal_installments": Child(
        "deal_installments",
        "/api/v2/deals/installments",
        CURSOR,
        ids_param="deal_ids",
        parent_key="deal_id",
        params={"sort_by": "id"},
        float_columns=("amount",),
        # installments split the value of a deal's one-time products: a deal without products has none
        count_field="products_count",
    ),
    "deal_participants": Child(
        "deal_participants",
        "/v1/deals/{id}/participants",
        OFFSET,
        ids_param="",
        parent_key="deal_id",
        count_field="participants_count",
    ),
    "deal_followers": Child(
        "deal_followers",
        "/api/v2/deals/{id}/followers",
        CURSOR,
        ids_param="",
        parent_key="deal_id",
        count_field="followers_count",
        primary_key=("deal_id", "user_id"),
    ),
    "product_variations": Child(
        "product_variations",
        "/api/v2/products/{id}/variations",
        CURSOR,
        ids_param="",
        parent_key="product_id",
    ),
    "phases": Child(
        "phases", "/api/v2/phases", ONE_PAGE_V2, ids_param="board_id", parent_key="board_id", batch_size=1
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

# History that Pipedrive cannot give back (our own snapshots), or only at great cost (deal history:
# one changelog request per deal): every refresh keeps these tables (pipelines/refresh.py), only
# `--switch-account` drops them. Register each such table here, and only here.
KEPT_ON_REFRESH: frozenset[str] = frozenset({SNAPSHOT_TABLE, *HISTORY_TABLES})

ENTITY_BY_NAME = {entity.name: entity for entity in ENTITIES}
