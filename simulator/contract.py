"""What the official specs declare for each route the simulator serves: its query parameters and
their enum values. Strict mode (`Simulator(strict=True)`, `pipedrive-sync simulator --strict`)
answers 400 with Pipedrive's error body to a query parameter a route does not declare (the auth
parameter `api_token` aside) and to an enum value out of range.

Declared here, not read from the specs at run time (a user has no spec files); a test derives the
same table from the specs and checks that the two are equal. How a parameter carries several
values follows its description in the spec: "comma separated" lists (`status=open,won`) and
sort lists (`sort=update_time DESC`, "field names and sorting mode") are checked item by item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

from simulator.errors import bad_request

ALWAYS_ALLOWED = frozenset({"api_token"})
SORT_MODES = (" asc", " desc")


@dataclass(frozen=True)
class Param:
    """A declared query parameter: its enum (empty: any value) and how it carries several values."""

    values: tuple[str, ...] = ()
    form: str = "one"  # "one" value, a comma "list", or a "sort" list (`field ASC, field2 DESC`)


ANY = Param()


def value_error(param: Param, raw: str) -> str | None:
    """Why `raw` is out of the parameter's enum, or None when it is in range."""
    if not param.values:
        return None
    parts = [raw] if param.form == "one" else [part.strip() for part in raw.split(",")]
    for part in parts:
        item = part
        if param.form == "sort" and item.lower().endswith(SORT_MODES):
            item = item.rsplit(" ", 1)[0].strip()
        if item not in param.values:
            return f"{part!r} is not one of {', '.join(param.values)}"
    return None


def check_query(route_name: str, query_lists: Mapping[str, list[str]]) -> None:
    """Raise Pipedrive's 400 for an undeclared parameter or an enum value out of range. A route
    missing from `DECLARED` declares no query parameters."""
    declared = DECLARED.get(canonical(route_name), {})
    for name, values in query_lists.items():
        if name in ALWAYS_ALLOWED:
            continue
        param = declared.get(name)
        if param is None:
            raise bad_request(f"Unknown query parameter '{name}' for this endpoint")
        for value in values:
            error = value_error(param, value)
            if error:
                raise bad_request(f"Parameter '{name}': {error}")


def canonical(route_name: str) -> str:
    """v1 routes answer under `/v1` and `/api/v1`; both share one declaration."""
    return route_name.replace(" /api/v1/", " /v1/", 1)


def _params(*names: str, **enums: Param) -> dict[str, Param]:
    return {**dict.fromkeys(names, ANY), **enums}


def _combinations(*names: str) -> tuple[str, ...]:
    """Every non-empty combination, as comma lists (the field endpoints enumerate them so)."""
    return tuple(",".join(combo) for size in range(1, len(names) + 1) for combo in combinations(names, size))


LIST = Param(form="list")
SORT_DIRECTION = Param(("asc", "desc"))
NUMBER_BOOLEAN = Param(("0", "1"))
V2_PAGING = ("limit", "cursor")
V1_PAGING = ("start", "limit")
UPDATED = ("updated_since", "updated_until")
LABELS = ("include_option_labels", "include_labels")
DEAL_STATUSES = ("open", "won", "lost", "deleted")
V1_DEAL_STATUSES = (*DEAL_STATUSES, "all_not_deleted")
SORT_LIST = Param(form="sort")
V1_DEAL_LIST = {"status": Param(V1_DEAL_STATUSES), "sort": SORT_LIST, "owned_by_you": NUMBER_BOOLEAN}
LEAD_LIST = ("limit", "start", "owner_id", "person_id", "organization_id", "filter_id")
LEAD_SORTS = (
    "id", "title", "owner_id", "creator_id", "was_seen", "expected_close_date", "next_activity_id",
    "add_time", "update_time",
)  # fmt: skip
#: `include_fields` of each v2 entity: counters and extras left out of a record unless asked for.
DEAL_EXTRAS = (
    "next_activity_id", "last_activity_id", "first_won_time", "products_count", "files_count",
    "notes_count", "followers_count", "email_messages_count", "activities_count",
    "done_activities_count", "undone_activities_count", "participants_count", "last_incoming_mail_time",
    "last_outgoing_mail_time", "smart_bcc_email", "source_lead_id",
)  # fmt: skip
PERSON_EXTRAS = (
    "next_activity_id", "last_activity_id", "open_deals_count", "related_open_deals_count",
    "closed_deals_count", "related_closed_deals_count", "participant_open_deals_count",
    "participant_closed_deals_count", "email_messages_count", "activities_count",
    "done_activities_count", "undone_activities_count", "files_count", "notes_count", "followers_count",
    "won_deals_count", "related_won_deals_count", "lost_deals_count", "related_lost_deals_count",
    "last_incoming_mail_time", "last_outgoing_mail_time", "marketing_status", "doi_status",
    "smart_bcc_email",
)  # fmt: skip
ORG_EXTRAS = (
    "next_activity_id", "last_activity_id", "open_deals_count", "related_open_deals_count",
    "closed_deals_count", "related_closed_deals_count", "email_messages_count", "people_count",
    "activities_count", "done_activities_count", "undone_activities_count", "files_count",
    "notes_count", "followers_count", "won_deals_count", "related_won_deals_count", "lost_deals_count",
    "related_lost_deals_count", "smart_bcc_email",
)  # fmt: skip
ACTIVITY_EXTRAS = ("attendees",)
FIELD_EXTRAS = Param(_combinations("ui_visibility", "important_fields", "required_fields"), "list")
UI_VISIBILITY = Param(("ui_visibility",), "list")


def _v2_entity(filters, sort_by, extras=None, labels=True, custom_fields=True, updated=True) -> tuple:
    """The declarations of a v2 entity's list and get-one routes."""
    extra = {"include_fields": Param(extras, "list")} if extras else {}
    custom = {"custom_fields": LIST} if custom_fields else {}
    one = _params(*(LABELS if labels else ()), **extra, **custom)
    listing = _params(
        *filters, *(UPDATED if updated else ()), *(LABELS if labels else ()), *V2_PAGING,
        ids=LIST, sort_by=Param(sort_by), sort_direction=SORT_DIRECTION, **extra, **custom,
    )  # fmt: skip
    return listing, one


_DEALS, _DEAL = _v2_entity(
    ("filter_id", "owner_id", "person_id", "org_id", "pipeline_id", "stage_id"),
    ("id", "update_time", "add_time"),
    DEAL_EXTRAS,
)
_DEALS["status"] = Param(DEAL_STATUSES, "list")
_PERSONS, _PERSON = _v2_entity(
    ("filter_id", "owner_id", "org_id", "deal_id"), ("id", "update_time", "add_time"), PERSON_EXTRAS
)
_ORGS, _ORG = _v2_entity(("filter_id", "owner_id"), ("id", "update_time", "add_time"), ORG_EXTRAS)
_ACTIVITIES, _ACTIVITY = _v2_entity(
    ("filter_id", "owner_id", "deal_id", "lead_id", "person_id", "org_id", "done"),
    ("id", "update_time", "add_time", "due_date"),
    ACTIVITY_EXTRAS,
    labels=False,
    custom_fields=False,
)
_PRODUCTS, _ = _v2_entity(
    ("owner_id", "filter_id"), ("id", "name", "add_time", "update_time"), labels=False, updated=False
)
FIELD_ENTITIES = {"deal": FIELD_EXTRAS, "person": FIELD_EXTRAS, "organization": FIELD_EXTRAS,
                  "product": UI_VISIBILITY, "activity": UI_VISIBILITY}  # fmt: skip
V1_FIELD_LISTS = ("dealFields", "personFields", "organizationFields", "productFields", "leadFields")

#: Every served route's query parameters (route names as in `sim.stats`; v1 under `/v1`).
DECLARED: dict[str, dict[str, Param]] = {
    "GET /api/v2/deals": _DEALS,
    "GET /api/v2/deals/archived": {name: param for name, param in _DEALS.items() if name not in LABELS},
    "GET /api/v2/deals/{id}": _DEAL,
    "GET /api/v2/persons": _PERSONS,
    "GET /api/v2/persons/{id}": _PERSON,
    "GET /api/v2/organizations": _ORGS,
    "GET /api/v2/organizations/{id}": _ORG,
    "GET /api/v2/activities": _ACTIVITIES,
    "GET /api/v2/activities/{id}": _ACTIVITY,
    "GET /api/v2/products": _PRODUCTS,
    "GET /api/v2/pipelines": _params(
        *V2_PAGING, sort_by=Param(("id", "update_time", "add_time")), sort_direction=SORT_DIRECTION
    ),
    "GET /api/v2/stages": _params(
        "pipeline_id",
        *V2_PAGING,
        sort_by=Param(("id", "update_time", "add_time", "order_nr")),
        sort_direction=SORT_DIRECTION,
    ),
    "GET /api/v2/deals/products": _params(
        "deal_ids",
        *V2_PAGING,
        sort_by=Param(("id", "deal_id", "add_time", "update_time", "order_nr")),
        sort_direction=SORT_DIRECTION,
    ),
    "GET /api/v2/deals/{id}/products": _params(
        *V2_PAGING,
        sort_by=Param(("id", "add_time", "update_time", "order_nr")),
        sort_direction=SORT_DIRECTION,
    ),
    **{
        f"GET /api/v2/{kind}Fields": _params(*V2_PAGING, include_fields=extras)
        for kind, extras in FIELD_ENTITIES.items()
    },
    **{
        f"GET /api/v2/{kind}Fields/{{field_code}}": _params(include_fields=extras)
        for kind, extras in FIELD_ENTITIES.items()
    },
    **{
        f"GET /api/v2/{entity}/{{id}}/followers": _params(*V2_PAGING)
        for entity in ("deals", "persons", "organizations", "products")
    },
    "GET /api/v2/deals/installments": _params(
        "deal_ids",
        *V2_PAGING,
        sort_by=Param(("id", "billing_date", "deal_id")),
        sort_direction=SORT_DIRECTION,
    ),
    "GET /api/v2/products/{id}/variations": _params(*V2_PAGING),
    "GET /api/v2/projectFields": _params(*V2_PAGING),
    "GET /api/v2/projects": _params("filter_id", "status", "phase_id", *V2_PAGING),
    "GET /api/v2/projects/archived": _params("filter_id", "status", "phase_id", *V2_PAGING),
    "GET /api/v2/tasks": _params(
        *V2_PAGING, "is_done", "is_milestone", "assignee_id", "project_id", "parent_task_id"
    ),
    "GET /api/v2/phases": _params("board_id"),
    # ---- v1 ----
    "GET /v1/callLogs": _params(*V1_PAGING),
    "GET /v1/deals/{id}/changelog": _params(*V2_PAGING),
    "GET /v1/goals/find": _params(
        "title",
        "is_active",
        "assignee.id",
        "expected_outcome.target",
        "expected_outcome.currency_id",
        "type.params.pipeline_id",
        "type.params.stage_id",
        "type.params.activity_type_id",
        "period.start",
        "period.end",
        **{
            "type.name": Param(
                ("deals_won", "deals_progressed", "activities_completed", "activities_added", "deals_started")
            ),
            "assignee.type": Param(("person", "company", "team")),
            "expected_outcome.tracking_metric": Param(("quantity", "sum")),
        },
    ),
    "GET /v1/currencies": _params("term"),
    **{f"GET /v1/{path}": _params(*V1_PAGING) for path in V1_FIELD_LISTS},
    "GET /v1/leads": _params(*LEAD_LIST, "updated_since", sort=Param(LEAD_SORTS, "sort")),
    "GET /v1/leads/archived": _params(*LEAD_LIST, sort=Param(LEAD_SORTS, "sort")),
    "GET /v1/notes": _params(
        "user_id",
        "lead_id",
        "deal_id",
        "person_id",
        "org_id",
        "project_id",
        "task_id",
        *V1_PAGING,
        "start_date",
        "end_date",
        "updated_since",
        sort=SORT_LIST,
        **{
            f"pinned_to_{kind}_flag": NUMBER_BOOLEAN
            for kind in ("lead", "deal", "organization", "person", "project", "task")
        },
    ),
    "GET /v1/recents": _params(
        "since_timestamp",
        *V1_PAGING,
        items=Param(
            (
                "activity",
                "activityType",
                "deal",
                "file",
                "filter",
                "note",
                "person",
                "organization",
                "pipeline",
                "product",
                "stage",
                "user",
            ),
            "list",
        ),
    ),
    "GET /v1/deals/archived": _params(
        "user_id",
        "filter_id",
        "person_id",
        "org_id",
        "product_id",
        "pipeline_id",
        "stage_id",
        *V1_PAGING,
        **V1_DEAL_LIST,
    ),
    "GET /v1/filters": _params(
        type=Param(("deals", "leads", "org", "people", "products", "activity", "projects"))
    ),
    "GET /v1/files": _params(*V1_PAGING, "sort"),
    "GET /v1/deals/{id}/flow": _params(*V1_PAGING, "all_changes", items=LIST),
    "GET /v1/deals/{id}/participants": _params(*V1_PAGING),
    # deprecated, their last documented parameters (see DEPRECATED_V1)
    "GET /v1/deals": _params("user_id", "filter_id", "stage_id", *V1_PAGING, **V1_DEAL_LIST),
    "GET /v1/persons": _params("user_id", "filter_id", "first_char", *V1_PAGING, sort=SORT_LIST),
    "GET /v1/organizations": _params("user_id", "filter_id", "first_char", *V1_PAGING, sort=SORT_LIST),
    "GET /v1/activities": _params(
        "user_id", "filter_id", "limit", "start", "start_date", "end_date", type=LIST, done=NUMBER_BOOLEAN
    ),
    "GET /v1/products": _params("user_id", "filter_id", "ids", "first_char", "get_summary", *V1_PAGING),
    "GET /v1/stages": _params("pipeline_id"),
    "GET /v1/deals/{id}/products": _params(*V1_PAGING, include_product_data=NUMBER_BOOLEAN),
}

#: Deprecated v1 endpoints, gone from the published v1 spec, served in their last documented
#: shape (the v1 reference): strict mode holds them to their last documented parameters.
DEPRECATED_V1 = (
    ("GET", "/deals"),
    ("GET", "/deals/{id}"),
    ("GET", "/persons"),
    ("GET", "/persons/{id}"),
    ("GET", "/organizations"),
    ("GET", "/organizations/{id}"),
    ("GET", "/activities"),
    ("GET", "/activities/{id}"),
    ("GET", "/products"),
    ("GET", "/products/{id}"),
    ("GET", "/pipelines"),
    ("GET", "/stages"),
    ("GET", "/deals/{id}/products"),
)
