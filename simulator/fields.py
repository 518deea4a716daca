"""Field definitions (dealFields, personFields, ...): built-in and custom, held in their v2 shape.

Custom fields carry the hostile traits of real accounts: duplicate names, names of built-ins,
accents/CJK/emoji, SQL keywords, a leading digit, a very long name, and option lists with
thousands of entries. Keys are 40-hex hashes, deterministic per seed.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass

FIELD_ENTITIES = {
    "deal_fields": "deals",
    "person_fields": "persons",
    "organization_fields": "organizations",
    "product_fields": "products",
    "activity_fields": "activities",
}
RECORD_TO_FIELD_ENTITY = {record: fields for fields, record in FIELD_ENTITIES.items()}

CUSTOM_FIELD_TYPES = (
    "varchar",
    "varchar_auto",
    "text",
    "phone",
    "double",
    "monetary",
    "enum",
    "set",
    "user",
    "org",
    "people",
    "date",
    "daterange",
    "time",
    "timerange",
    "address",
)
OPTION_TYPES = ("enum", "set")
ADDRESS_PARTS = (
    "route",
    "subpremise",
    "street_number",
    "sublocality",
    "locality",
    "admin_area_level_1",
    "admin_area_level_2",
    "country",
    "postal_code",
    "formatted_address",
)
SUBFIELDS = {
    "monetary": (("currency", "Currency", "varchar"),),
    "daterange": (("until", "End date", "date"),),
    "timerange": (("until", "End time", "time"), ("timezone_id", "Timezone", "int")),
    "time": (("timezone_id", "Timezone", "int"),),
    "address": tuple((part, part.replace("_", " ").capitalize(), "varchar") for part in ADDRESS_PARTS),
}

LONG_NAME = (
    "Quarterly revenue forecast adjusted for seasonality, currency effects and the regional "
    "sales director's gut feeling (do not edit)"
)

# (name, type, option labels or an option count). Two "Region" fields on purpose.
HOSTILE_CUSTOM_FIELDS: tuple[tuple[str, str, object], ...] = (
    ("Region", "enum", ("North", "South", "East", "West", "Central")),
    ("Region", "varchar", None),
    ("Title", "varchar", None),
    ("Value", "double", None),
    ("Société – Catégorie", "varchar_auto", None),
    ("客户等级", "enum", ("金牌", "银牌", "铜牌")),
    ("🔥 Hot score", "double", None),
    ("select", "text", None),
    ("order", "phone", None),
    ("group", "set", ("Alpha", "Beta", "Gamma", "Delta", "Ω-team")),
    ("2nd owner", "user", None),
    (LONG_NAME, "text", None),
    ("Contract value", "monetary", None),
    ("Industry codes", "set", 2500),
    ("Territory", "enum", 3000),
    ("Partner organization", "org", None),
    ("Referrer", "people", None),
    ("Renewal date", "date", None),
    ("Campaign period", "daterange", None),
    ("Preferred call time", "time", None),
    ("Office hours", "timerange", None),
    ("Billing address", "address", None),
)

# Per entity, custom fields named exactly like one of its built-in fields.
BUILTIN_NAMESAKES: dict[str, tuple[tuple[str, str, object], ...]] = {
    "deals": (),  # "Title" and "Value" above already are
    "persons": (("Name", "varchar", None), ("Email", "varchar", None)),
    "organizations": (("Name", "varchar", None), ("Address", "text", None)),
    "products": (("Name", "varchar", None),),
}

# Who may see a record (the built-in `visible_to` field's options).
VISIBILITY = (
    (1, "Owner & followers"),
    (3, "Entire company"),
    (5, "Owner's visibility group"),
    (7, "Owner's visibility group and sub-groups"),
)

# Built-in fields per record entity: (field_code, field_name, field_type, options or None).
BUILTIN_FIELDS: dict[str, tuple[tuple[str, str, str, object], ...]] = {
    "deals": (
        ("id", "ID", "int", None),
        ("title", "Title", "varchar", None),
        ("creator_user_id", "Creator", "user", None),
        ("owner_id", "Owner", "user", None),
        ("value", "Value", "monetary", None),
        ("person_id", "Contact person", "people", None),
        ("org_id", "Organization", "org", None),
        ("pipeline_id", "Pipeline", "int", None),
        ("stage_id", "Stage", "stage", None),
        ("status", "Status", "status", None),
        ("probability", "Probability", "double", None),
        ("lost_reason", "Lost reason", "varchar_options", None),
        ("visible_to", "Visible to", "visible_to", VISIBILITY),
        ("add_time", "Deal created", "date", None),
        ("update_time", "Update time", "date", None),
        ("stage_change_time", "Last stage change", "date", None),
        ("close_time", "Deal closed on", "date", None),
        ("won_time", "Won time", "date", None),
        ("lost_time", "Lost time", "date", None),
        ("expected_close_date", "Expected close date", "date", None),
        ("label_ids", "Label", "set", ((1, "Hot"), (2, "Warm"), (3, "Cold"))),
        ("origin", "Source origin", "varchar", None),
        ("channel", "Source channel", "enum", ((101, "Web"), (102, "Referral"), (103, "Event"))),
        ("arr", "ARR", "monetary", None),
        ("mrr", "MRR", "monetary", None),
        ("acv", "ACV", "monetary", None),
    ),
    "persons": (
        ("id", "ID", "int", None),
        ("name", "Name", "varchar", None),
        ("first_name", "First name", "varchar", None),
        ("last_name", "Last name", "varchar", None),
        ("owner_id", "Owner", "user", None),
        ("org_id", "Organization", "org", None),
        ("emails", "Email", "varchar", None),
        ("phones", "Phone", "phone", None),
        ("label_ids", "Labels", "set", ((11, "Customer"), (12, "Hot lead"), (13, "Cold lead"))),
        ("visible_to", "Visible to", "visible_to", VISIBILITY),
        ("job_title", "Job title", "varchar", None),
        ("birthday", "Birthday", "date", None),
        ("postal_address", "Postal address", "address", None),
        ("add_time", "Person created", "date", None),
        ("update_time", "Update time", "date", None),
    ),
    "organizations": (
        ("id", "ID", "int", None),
        ("name", "Name", "varchar", None),
        ("owner_id", "Owner", "user", None),
        ("address", "Address", "address", None),
        ("label_ids", "Labels", "set", ((21, "Customer"), (22, "Partner"), (23, "Competitor"))),
        ("visible_to", "Visible to", "visible_to", VISIBILITY),
        ("add_time", "Organization created", "date", None),
        ("update_time", "Update time", "date", None),
    ),
    "products": (
        ("id", "ID", "int", None),
        ("name", "Name", "varchar", None),
        ("code", "Product code", "varchar", None),
        ("unit", "Unit", "varchar", None),
        ("tax", "Tax", "double", None),
        ("prices", "Unit prices", "price_list", None),
        ("owner_id", "Owner", "user", None),
        ("visible_to", "Visible to", "visible_to", VISIBILITY),
        ("billing_frequency", "Billing frequency", "billing_frequency", None),
    ),
    "activities": (
        ("id", "ID", "int", None),
        ("subject", "Subject", "varchar", None),
        ("type", "Type", "varchar_options", None),
        ("owner_id", "Assigned to user", "user", None),
        ("deal_id", "Deal", "deal", None),
        ("person_id", "Contact person", "people", None),
        ("org_id", "Organization", "org", None),
        ("due_date", "Due date", "date", None),
        ("due_time", "Due time", "time", None),
        ("duration", "Duration", "time", None),
        ("done", "Done", "boolean", None),
        ("note", "Note", "text", None),
        ("add_time", "Add time", "date", None),
        ("update_time", "Update time", "date", None),
    ),
}


def field_hash(seed: int, field_entity: str, index: int) -> str:
    return hashlib.sha1(f"pipedrive-sim:{seed}:{field_entity}:{index}".encode()).hexdigest()


@dataclass
class FieldRegistry:
    """All field definitions of one field entity, in v2 shape, plus an option-id index."""

    field_entity: str
    fields: list[dict]

    def __post_init__(self) -> None:
        self._by_code = {field["field_code"]: field for field in self.fields}

    def get(self, field_code: str) -> dict | None:
        return self._by_code.get(field_code)

    def custom(self) -> list[dict]:
        return [field for field in self.fields if field["is_custom_field"]]

    def custom_codes(self) -> list[str]:
        return [field["field_code"] for field in self.fields if field["is_custom_field"]]

    def add(self, field: dict) -> None:
        self.fields.append(field)
        self._by_code[field["field_code"]] = field

    def remove(self, field_code: str) -> dict:
        field = self._by_code.pop(field_code)
        self.fields.remove(field)
        return field

    def snapshot(self) -> list[dict]:
        return copy.deepcopy(self.fields)


def make_field(
    field_entity: str,
    field_code: str,
    name: str,
    field_type: str,
    is_custom: bool,
    options: list[dict] | None,
    description: str = "",
) -> dict:
    """A v2 field object; each field entity has its own flavour of visibility settings."""
    subfields = None
    if field_type in SUBFIELDS:
        subfields = [
            {"field_code": f"{field_code}_{code}", "field_name": f"{name} – {label}", "field_type": sub_type}
            for code, label, sub_type in SUBFIELDS[field_type]
        ]
    field = {
        "field_name": name,
        "field_code": field_code,
        "field_type": field_type,
        "options": options,
        "subfields": subfields,
        "is_custom_field": is_custom,
        "is_optional_response_field": False,
        "ui_visibility": {"add_visible_flag": not is_custom, "details_visible_flag": True},
    }
    if field_entity == "deal_fields":
        field["description"] = description
        field["ui_visibility"]["projects_detail_visible_flag"] = False
        field["ui_visibility"]["show_in_pipelines"] = {"show_in_all": True, "pipeline_ids": []}
        field["important_fields"] = {"enabled": False, "stage_ids": []}
        field["required_fields"] = {"enabled": False, "stage_ids": []}
    elif field_entity in ("person_fields", "organization_fields"):
        dialog = {"show": not is_custom, "order": None}
        field["ui_visibility"]["show_in_add_deal_dialog"] = dialog
        if field_entity == "organization_fields":
            field["ui_visibility"].update(
                org_detail_visible_flag=True,
                person_detail_visible_flag=False,
                deal_detail_visible_flag=False,
                show_in_add_person_dialog=dict(dialog),
            )
        field["important_fields"] = {"enabled": False, "stage_ids": []}
        field["required_fields"] = {"enabled": False}
    return field


def option(option_id: int, label: str, timestamp: str | None) -> dict:
    return {"id": option_id, "label": label, "color": None, "add_time": timestamp, "update_time": timestamp}


def option_labels(field: dict) -> dict[int, str]:
    return {item["id"]: item["label"] for item in field.get("options") or ()}


def with_option_labels(value, field: dict, labels: dict[int, str]):
    """v2 `include_option_labels=true`: enum -> {id, label}, set -> [{id, label}, ...]."""
    if value is None:
        return None
    if field["field_type"] == "enum":
        return {"id": value, "label": labels.get(value)}
    if field["field_type"] == "set":
        return [{"id": item, "label": labels.get(item)} for item in value]
    return value
