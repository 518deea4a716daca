"""Pure conversion of the simulator's v2-shaped records into Pipedrive API v1 shapes.

Nothing here touches the store: related records (users, persons, organizations, stages)
come through a `Related` lookup, and custom-field definitions are passed in. That keeps
the v1 <-> v2 correspondence testable field by field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from simulator.fields import ADDRESS_PARTS

COMPANY_ID = 1
MAIL_DOMAIN = "pipedrivemail.com"


def v1_time(value: str | None) -> str | None:
    """`2024-01-02T03:04:05(.678)Z` -> `2024-01-02 03:04:05` (v1 timestamps are UTC, seconds)."""
    if not value:
        return value
    return f"{value[:10]} {value[11:19]}"


def v1_visible_to(value: Any) -> str | None:
    return None if value is None else str(value)


# ---------------------------------------------------------------------------------------
# Custom fields: v2 `custom_fields[hash]` -> v1 top-level `hash` + suffixed sub-keys
# ---------------------------------------------------------------------------------------

#: v1 sub-keys of composite field types, besides the main key.
V1_SUBKEYS: dict[str, tuple[str, ...]] = {
    "monetary": ("currency",),
    "daterange": ("until",),
    "time": ("timezone_id",),
    "timerange": ("until", "timezone_id"),
    "address": ADDRESS_PARTS,
}


def custom_value_to_v1(code: str, field_type: str, value: Any) -> dict[str, Any]:
    """One custom field's v2 value as the v1 keys it becomes (main key first)."""
    subkeys = V1_SUBKEYS.get(field_type, ())
    if isinstance(value, dict) and subkeys:
        keys = {code: value.get("value")}
        keys.update({f"{code}_{sub}": value.get(sub) for sub in subkeys})
        return keys
    if subkeys:  # unset composite value: every key present, all null
        return {code: None, **{f"{code}_{sub}": None for sub in subkeys}}
    if value is None:
        return {code: None}
    if field_type == "enum":
        return {code: str(value)}
    if field_type == "set":
        return {code: ",".join(str(item) for item in value) if value else None}
    return {code: value}


def custom_fields_to_v1(values: dict | None, definitions: Iterable[dict]) -> dict[str, Any]:
    """Every custom field of the entity as v1 keys; unset fields are present with null."""
    values = values or {}
    out: dict[str, Any] = {}
    for definition in definitions:
        code = definition["field_code"]
        out.update(custom_value_to_v1(code, definition["field_type"], values.get(code)))
    return out


def address_to_v1(prefix: str, address: dict | None) -> dict[str, Any]:
    """A v2 address object as v1 flat keys: `prefix` plus `prefix_route`, ... ."""
    address = address or {}
    out: dict[str, Any] = {prefix: address.get("value")}
    out.update({f"{prefix}_{part}": address.get(part) for part in ADDRESS_PARTS})
    return out


# ---------------------------------------------------------------------------------------
# Related records
# ---------------------------------------------------------------------------------------


@dataclass
class Related:
    """Read-only lookups a v1 record needs from other entities (None when missing)."""

    user: Callable[[Any], dict | None]
    person: Callable[[Any], dict | None]
    organization: Callable[[Any], dict | None]
    stage: Callable[[Any], dict | None] = lambda _id: None
    deal: Callable[[Any], dict | None] = lambda _id: None
    people_count: Callable[[Any], int] = lambda _id: 0
    activity_counts: Callable[[str, Any], tuple[int, int]] = lambda _key, _id: (0, 0)
    product_count: Callable[[Any], int] = lambda _id: 0
    participant_count: Callable[[Any], int] = lambda _id: 0
    follower_count: Callable[[str, Any], int] = lambda _item_type, _id: 0  # ("deal", 7)
    custom_fields: dict[str, list[dict]] = field(default_factory=dict)


def user_ref(user: dict | None, user_id: Any, has_pic: bool | int = False) -> dict | None:
    """The nested user object v1 deals/persons/organizations/products carry (`has_pic` is a
    boolean on deals and products, 0/1 on persons and organizations)."""
    if user_id is None:
        return None
    user = user or {}
    return {
        "id": user_id,
        "name": user.get("name"),
        "email": user.get("email"),
        "has_pic": has_pic,
        "pic_hash": None,
        "active_flag": bool(user.get("active_flag", True)),
        "value": user_id,
    }


def person_ref(person: dict | None, person_id: Any) -> dict | None:
    if person_id is None:
        return None
    person = person or {}
    return {
        "active_flag": not person.get("is_deleted", False),
        "name": person.get("name"),
        "email": _contacts(person.get("emails")),
        "phone": _contacts(person.get("phones")),
        "owner_id": person.get("owner_id"),
        "value": person_id,
    }


def organization_ref(organization: dict | None, org_id: Any, people_count: int) -> dict | None:
    if org_id is None:
        return None
    organization = organization or {}
    return {
        "name": organization.get("name"),
        "people_count": people_count,
        "owner_id": organization.get("owner_id"),
        "address": (organization.get("address") or {}).get("value"),
        "active_flag": not organization.get("is_deleted", False),
        "cc_email": _cc_email("org", org_id),
        "value": org_id,
    }


def _contacts(items: list | None) -> list[dict]:
    """v2 emails/phones -> v1 `email`/`phone` lists (same three keys, v1 order)."""
    return [
        {"label": item.get("label"), "value": item.get("value"), "primary": bool(item.get("primary"))}
        for item in items or ()
    ]


def _cc_email(kind: str, record_id: Any) -> str:
    return f"company+{kind}{record_id}@{MAIL_DOMAIN}"


def _label(label_ids: list | None) -> int | None:
    """v1 keeps a single `label`: the first of v2's `label_ids`."""
    return label_ids[0] if label_ids else None


def _first_char(name: str | None) -> str | None:
    return name[:1].lower() if name else None


def _name_of(record: dict | None, key: str = "name") -> str | None:
    return record.get(key) if record else None


def _weighted(value: Any, weight: float) -> Any:
    """The value times the stage's probability; a value that is no number (hostile tests store text
    in it) has no weighted value."""
    return round(value * weight, 2) if isinstance(value, (int, float)) else None


def _money(value: Any, currency: str | None) -> str:
    amount = value or 0
    if isinstance(amount, float):
        text = f"{amount:,.2f}".rstrip("0").rstrip(".")
    else:  # an int, or whatever odd value a hostile test stored (text): shown as it is
        text = f"{amount:,}" if isinstance(amount, int) else str(amount)
    return f"{text} {currency}" if currency else text


# ---------------------------------------------------------------------------------------
# Entities
# ---------------------------------------------------------------------------------------


def deal_to_v1(deal: dict, related: Related, nested: bool = True) -> dict:
    """v2 deal -> v1 deal. `nested=False` gives the flat-id flavour `/v1/recents` uses."""
    deal_id = deal["id"]
    owner = related.user(deal.get("owner_id"))
    person = related.person(deal.get("person_id"))
    organization = related.organization(deal.get("org_id"))
    stage = related.stage(deal.get("stage_id"))
    probability = deal.get("probability")
    weight = (probability if probability is not None else (stage or {}).get("deal_probability", 100)) / 100
    value = deal.get("value") or 0
    currency = deal.get("currency")
    done, undone = related.activity_counts("deal_id", deal_id)
    creator_id = deal.get("creator_user_id", deal.get("owner_id"))
    if nested:
        ids = {
            "creator_user_id": user_ref(related.user(creator_id), creator_id),
            "user_id": user_ref(owner, deal.get("owner_id")),
            "person_id": person_ref(person, deal.get("person_id")),
            "org_id": organization_ref(
                organization, deal.get("org_id"), related.people_count(deal.get("org_id"))
            ),
        }
    else:
        ids = {
            "creator_user_id": creator_id,
            "user_id": deal.get("owner_id"),
            "person_id": deal.get("person_id"),
            "org_id": deal.get("org_id"),
        }
    record = {
        "id": deal_id,
        **ids,
        "stage_id": deal.get("stage_id"),
        "title": deal.get("title"),
        "value": value,
        "currency": currency,
        "add_time": v1_time(deal.get("add_time")),
        "update_time": v1_time(deal.get("update_time")),
        "stage_change_time": v1_time(deal.get("stage_change_time")),
        "active": deal.get("status") == "open" and not deal.get("is_deleted"),
        "deleted": bool(deal.get("is_deleted")),
        "is_archived": bool(deal.get("is_archived")),
        "archive_time": v1_time(deal.get("archive_time")),
        "status": deal.get("status"),
        "probability": probability,
        "next_activity_date": None,
        "next_activity_time": None,
        "next_activity_id": deal.get("next_activity_id"),
        "last_activity_id": deal.get("last_activity_id"),
        "last_activity_date": None,
        "lost_reason": deal.get("lost_reason"),
        "visible_to": v1_visible_to(deal.get("visible_to")),
        "close_time": v1_time(deal.get("close_time")),
        "pipeline_id": deal.get("pipeline_id"),
        "won_time": v1_time(deal.get("won_time")),
        "first_won_time": v1_time(deal.get("first_won_time", deal.get("won_time"))),
        "lost_time": v1_time(deal.get("lost_time")),
        "products_count": related.product_count(deal_id),
        "files_count": 0,
        "notes_count": 0,
        "followers_count": related.follower_count("deal", deal_id),
        "email_messages_count": 0,
        "activities_count": done + undone,
        "done_activities_count": done,
        "undone_activities_count": undone,
        "participants_count": related.participant_count(deal_id),
        "expected_close_date": deal.get("expected_close_date"),
        "last_incoming_mail_time": None,
        "last_outgoing_mail_time": None,
        "label": ",".join(str(item) for item in deal["label_ids"]) if deal.get("label_ids") else None,
        "origin": deal.get("origin"),
        "origin_id": deal.get("origin_id"),
        "channel": deal.get("channel"),
        "channel_id": deal.get("channel_id"),
        "stage_order_nr": (stage or {}).get("order_nr"),
        "person_name": _name_of(person),
        "org_name": _name_of(organization),
        "next_activity_subject": None,
        "next_activity_type": None,
        "next_activity_duration": None,
        "next_activity_note": None,
        "formatted_value": _money(value, currency),
        "weighted_value": _weighted(value, weight),
        "formatted_weighted_value": _money(_weighted(value, weight), currency),
        "weighted_value_currency": currency,
        "rotten_time": None,
        "owner_name": _name_of(owner),
        "cc_email": _cc_email("deal", deal_id),
        "org_hidden": False,
        "person_hidden": False,
    }
    record.update(custom_fields_to_v1(deal.get("custom_fields"), related.custom_fields.get("deals", ())))
    return record


def person_to_v1(person: dict, related: Related, nested: bool = True) -> dict:
    person_id = person["id"]
    owner = related.user(person.get("owner_id"))
    organization = related.organization(person.get("org_id"))
    emails = _contacts(person.get("emails"))
    primary_email = next((item["value"] for item in emails if item["primary"]), None)
    done, undone = related.activity_counts("person_id", person_id)
    org_id = person.get("org_id")
    record = {
        "id": person_id,
        "company_id": COMPANY_ID,
        "owner_id": user_ref(owner, person.get("owner_id"), has_pic=0) if nested else person.get("owner_id"),
        "org_id": organization_ref(organization, org_id, related.people_count(org_id)) if nested else org_id,
        "name": person.get("name"),
        "first_name": person.get("first_name"),
        "last_name": person.get("last_name"),
        "open_deals_count": 0,
        "related_open_deals_count": 0,
        "closed_deals_count": 0,
        "related_closed_deals_count": 0,
        "participant_open_deals_count": 0,
        "participant_closed_deals_count": 0,
        "email_messages_count": 0,
        "activities_count": done + undone,
        "done_activities_count": done,
        "undone_activities_count": undone,
        "files_count": 0,
        "notes_count": 0,
        "followers_count": related.follower_count("person", person_id),
        "won_deals_count": 0,
        "related_won_deals_count": 0,
        "lost_deals_count": 0,
        "related_lost_deals_count": 0,
        "active_flag": not person.get("is_deleted", False),
        "phone": _contacts(person.get("phones")),
        "email": emails,
        "primary_email": primary_email,
        "first_char": _first_char(person.get("name")),
        "update_time": v1_time(person.get("update_time")),
        "delete_time": v1_time(person.get("update_time")) if person.get("is_deleted") else None,
        "add_time": v1_time(person.get("add_time")),
        "visible_to": v1_visible_to(person.get("visible_to")),
        "marketing_status": person.get("marketing_status", "no_consent"),
        "picture_id": None,
        "next_activity_date": None,
        "next_activity_time": None,
        "next_activity_id": None,
        "last_activity_id": None,
        "last_activity_date": None,
        "last_incoming_mail_time": None,
        "last_outgoing_mail_time": None,
        "label": _label(person.get("label_ids")),
        "label_ids": list(person.get("label_ids") or []),
        "im": list(person.get("im") or []),
        "birthday": person.get("birthday"),
        "job_title": person.get("job_title"),
        "notes": person.get("notes"),
        "org_name": _name_of(organization),
        "owner_name": _name_of(owner),
        "cc_email": _cc_email("person", person_id),
    }
    if "postal_address" in person:
        record.update(address_to_v1("postal_address", person.get("postal_address")))
    record.update(custom_fields_to_v1(person.get("custom_fields"), related.custom_fields.get("persons", ())))
    return record


def organization_to_v1(organization: dict, related: Related, nested: bool = True) -> dict:
    org_id = organization["id"]
    owner = related.user(organization.get("owner_id"))
    done, undone = related.activity_counts("org_id", org_id)
    record = {
        "id": org_id,
        "company_id": COMPANY_ID,
        "owner_id": (
            user_ref(owner, organization.get("owner_id"), has_pic=0)
            if nested
            else organization.get("owner_id")
        ),
        "name": organization.get("name"),
        "open_deals_count": 0,
        "related_open_deals_count": 0,
        "closed_deals_count": 0,
        "related_closed_deals_count": 0,
        "email_messages_count": 0,
        "people_count": related.people_count(org_id),
        "activities_count": done + undone,
        "done_activities_count": done,
        "undone_activities_count": undone,
        "files_count": 0,
        "notes_count": 0,
        "followers_count": related.follower_count("organization", org_id),
        "won_deals_count": 0,
        "related_won_deals_count": 0,
        "lost_deals_count": 0,
        "related_lost_deals_count": 0,
        "active_flag": not organization.get("is_deleted", False),
        "picture_id": None,
        "country_code": None,
        "first_char": _first_char(organization.get("name")),
        "update_time": v1_time(organization.get("update_time")),
        "delete_time": v1_time(organization.get("update_time")) if organization.get("is_deleted") else None,
        "add_time": v1_time(organization.get("add_time")),
        "visible_to": v1_visible_to(organization.get("visible_to")),
        "next_activity_date": None,
        "next_activity_time": None,
        "next_activity_id": None,
        "last_activity_id": None,
        "last_activity_date": None,
        "label": _label(organization.get("label_ids")),
        "label_ids": list(organization.get("label_ids") or []),
        **address_to_v1("address", organization.get("address")),
        "owner_name": _name_of(owner),
        "cc_email": _cc_email("org", org_id),
    }
    record.update(
        custom_fields_to_v1(organization.get("custom_fields"), related.custom_fields.get("organizations", ()))
    )
    return record


def activity_to_v1(activity: dict, related: Related, nested: bool = True) -> dict:
    """v1 activities keep ids flat in every flavour; `nested` is accepted for symmetry."""
    owner = related.user(activity.get("owner_id"))
    person = related.person(activity.get("person_id"))
    organization = related.organization(activity.get("org_id"))
    deal = related.deal(activity.get("deal_id"))
    location = activity.get("location") or {}
    record = {
        "id": activity["id"],
        "company_id": COMPANY_ID,
        "user_id": activity.get("owner_id"),
        "done": bool(activity.get("done")),
        "type": activity.get("type"),
        "reference_type": None,
        "reference_id": None,
        "conference_meeting_client": activity.get("conference_meeting_client"),
        "conference_meeting_url": activity.get("conference_meeting_url"),
        "conference_meeting_id": activity.get("conference_meeting_id"),
        "due_date": activity.get("due_date"),
        "due_time": (activity.get("due_time") or "")[:5] or None,
        "duration": (activity.get("duration") or "")[:5] or None,
        "busy_flag": activity.get("busy"),
        "add_time": v1_time(activity.get("add_time")),
        "marked_as_done_time": v1_time(activity.get("marked_as_done_time")),
        "last_notification_time": None,
        "last_notification_user_id": None,
        "notification_language_id": None,
        "subject": activity.get("subject"),
        "public_description": activity.get("public_description"),
        "calendar_sync_include_context": None,
        "location": location.get("value"),
        "org_id": activity.get("org_id"),
        "person_id": activity.get("person_id"),
        "deal_id": activity.get("deal_id"),
        "lead_id": activity.get("lead_id"),
        "project_id": activity.get("project_id"),
        "active_flag": not activity.get("is_deleted", False),
        "update_time": v1_time(activity.get("update_time")),
        "update_user_id": activity.get("owner_id"),
        "source_timezone": None,
        "rec_rule": None,
        "rec_rule_extension": None,
        "rec_master_activity_id": None,
        "series": [],
        "note": activity.get("note"),
        "created_by_user_id": activity.get("creator_user_id"),
        **{f"location_{part}": location.get(part) for part in _ACTIVITY_LOCATION_PARTS},
        "attendees": activity.get("attendees"),
        "participants": [
            {"person_id": item.get("person_id"), "primary_flag": bool(item.get("primary"))}
            for item in activity.get("participants") or ()
        ],
        "priority": activity.get("priority"),
        "org_name": _name_of(organization),
        "person_name": _name_of(person),
        "deal_title": _name_of(deal, "title"),
        "owner_name": _name_of(owner),
        "person_dropbox_bcc": None,
        "deal_dropbox_bcc": _cc_email("deal", activity["deal_id"]) if activity.get("deal_id") else None,
        "assigned_to_user_id": activity.get("owner_id"),
        "file": None,
    }
    record.update(
        custom_fields_to_v1(activity.get("custom_fields"), related.custom_fields.get("activities", ()))
    )
    return record


_ACTIVITY_LOCATION_PARTS = (
    "subpremise", "street_number", "route", "sublocality", "locality", "admin_area_level_1",
    "admin_area_level_2", "country", "postal_code", "formatted_address",
)  # fmt: skip


def product_to_v1(product: dict, related: Related, nested: bool = True) -> dict:
    product_id = product["id"]
    owner_id = product.get("owner_id")
    record = {
        "id": product_id,
        "name": product.get("name"),
        "code": product.get("code"),
        "description": product.get("description"),
        "unit": product.get("unit"),
        "tax": product.get("tax"),
        "category": product.get("category"),
        "active_flag": not product.get("is_deleted", False),
        "selectable": bool(product.get("is_linkable", True)),
        "first_char": _first_char(product.get("name")),
        "visible_to": v1_visible_to(product.get("visible_to")),
        "owner_id": user_ref(related.user(owner_id), owner_id) if nested else owner_id,
        "files_count": 0,
        "add_time": v1_time(product.get("add_time")),
        "update_time": v1_time(product.get("update_time")),
        "billing_frequency": product.get("billing_frequency"),
        "billing_frequency_cycles": product.get("billing_frequency_cycles"),
        "prices": [
            {
                "id": price.get("id", index + 1),
                "product_id": product_id,
                "price": price.get("price"),
                "currency": price.get("currency"),
                "cost": price.get("cost"),
                "overhead_cost": price.get("direct_cost", price.get("overhead_cost")),
            }
            for index, price in enumerate(product.get("prices") or ())
        ],
    }
    custom = related.custom_fields.get("products", ())
    record.update(custom_fields_to_v1(product.get("custom_fields"), custom))
    return record


def pipeline_to_v1(pipeline: dict, related: Related, nested: bool = True) -> dict:
    name = pipeline.get("name") or ""
    return {
        "id": pipeline["id"],
        "name": name,
        "url_title": "-".join(name.lower().split()),
        "order_nr": pipeline.get("order_nr"),
        "active": not pipeline.get("is_deleted", False),
        "deal_probability": bool(pipeline.get("is_deal_probability_enabled")),
        "add_time": v1_time(pipeline.get("add_time")),
        "update_time": v1_time(pipeline.get("update_time")),
    }


def stage_to_v1(stage: dict, related: Related, nested: bool = True) -> dict:
    return {
        "id": stage["id"],
        "order_nr": stage.get("order_nr"),
        "name": stage.get("name"),
        "active_flag": not stage.get("is_deleted", False),
        "deal_probability": stage.get("deal_probability"),
        "pipeline_id": stage.get("pipeline_id"),
        "rotten_flag": bool(stage.get("is_deal_rot_enabled")),
        "rotten_days": stage.get("days_to_rotten"),
        "add_time": v1_time(stage.get("add_time")),
        "update_time": v1_time(stage.get("update_time")),
    }


CONVERTERS: dict[str, Callable[..., dict]] = {
    "deals": deal_to_v1,
    "persons": person_to_v1,
    "organizations": organization_to_v1,
    "activities": activity_to_v1,
    "products": product_to_v1,
    "pipelines": pipeline_to_v1,
    "stages": stage_to_v1,
}
