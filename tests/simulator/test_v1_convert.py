"""The pure v2 -> v1 conversions, on hand-made records (no server)."""

from __future__ import annotations

import pytest

from simulator.fields import ADDRESS_PARTS
from simulator.v1.convert import (
    Related,
    custom_fields_to_v1,
    custom_value_to_v1,
    deal_to_v1,
    organization_to_v1,
    person_to_v1,
    product_to_v1,
    v1_time,
)
from simulator.v1.fields import field_to_v1, v1_field_id
from simulator.v1.pagination import Page, parse_page
from simulator.v1.recents import effective_since, one_month_before, parse_since

H = "a" * 40
ADDRESS = {"value": "Main St 1, Springfield", **{part: f"{part}-x" for part in ADDRESS_PARTS}}


@pytest.mark.parametrize(
    ("field_type", "v2_value", "expected"),
    [
        ("varchar", "hello", {H: "hello"}),
        ("varchar_auto", "auto", {H: "auto"}),
        ("text", "long\ntext", {H: "long\ntext"}),
        ("phone", "+1 555", {H: "+1 555"}),
        ("double", 500, {H: 500}),
        ("double", 12.5, {H: 12.5}),
        ("monetary", {"value": 500, "currency": "USD"}, {H: 500, f"{H}_currency": "USD"}),
        ("enum", 123, {H: "123"}),
        ("set", [123, 456], {H: "123,456"}),
        ("set", [], {H: None}),
        ("user", 7, {H: 7}),
        ("org", 8, {H: 8}),
        ("people", 9, {H: 9}),
        ("date", "2024-01-01", {H: "2024-01-01"}),
        (
            "daterange",
            {"value": "2024-01-01", "until": "2024-02-01"},
            {H: "2024-01-01", f"{H}_until": "2024-02-01"},
        ),
        (
            "time",
            {"value": "09:00:00", "timezone_id": 5, "timezone_name": "Europe/Tallinn"},
            {H: "09:00:00", f"{H}_timezone_id": 5},
        ),
        (
            "timerange",
            {"value": "09:00:00", "until": "17:30:00", "timezone_id": 5, "timezone_name": "Europe/Tallinn"},
            {H: "09:00:00", f"{H}_until": "17:30:00", f"{H}_timezone_id": 5},
        ),
        (
            "address",
            ADDRESS,
            {H: "Main St 1, Springfield", **{f"{H}_{part}": f"{part}-x" for part in ADDRESS_PARTS}},
        ),
    ],
)
def test_every_custom_field_type_in_the_v1_shape(field_type, v2_value, expected):
    assert custom_value_to_v1(H, field_type, v2_value) == expected


@pytest.mark.parametrize("field_type", ["monetary", "daterange", "timerange", "address", "time"])
def test_unset_composite_fields_keep_every_subkey_as_null(field_type):
    keys = custom_value_to_v1(H, field_type, None)
    assert keys[H] is None
    assert len(keys) > 1 and all(value is None for value in keys.values())
    assert all(key.startswith(f"{H}_") for key in keys if key != H)


def test_custom_fields_cover_every_definition_even_when_missing_from_the_record():
    definitions = [
        {"field_code": "b" * 40, "field_type": "enum"},
        {"field_code": "c" * 40, "field_type": "varchar"},
    ]
    assert custom_fields_to_v1({"b" * 40: 3}, definitions) == {"b" * 40: "3", "c" * 40: None}


def test_v1_time_drops_the_t_the_z_and_milliseconds():
    assert v1_time("2024-03-04T05:06:07Z") == "2024-03-04 05:06:07"
    assert v1_time("2024-03-04T05:06:07.123Z") == "2024-03-04 05:06:07"
    assert v1_time(None) is None


def _related(custom: dict | None = None) -> Related:
    users = {3: {"id": 3, "name": "Owner Name", "email": "o@example.test", "active_flag": True}}
    persons = {
        5: {
            "id": 5,
            "name": "Pat",
            "owner_id": 3,
            "emails": [{"value": "p@x.test", "primary": True, "label": "work"}],
        }
    }
    orgs = {6: {"id": 6, "name": "Org", "owner_id": 3, "address": {"value": "Somewhere 1"}}}
    return Related(
        user=users.get,
        person=persons.get,
        organization=orgs.get,
        people_count=lambda org_id: 4 if org_id == 6 else 0,
        custom_fields=custom or {},
    )


def _deal(**changes) -> dict:
    deal = {
        "id": 11,
        "title": "Big one",
        "owner_id": 3,
        "person_id": 5,
        "org_id": 6,
        "pipeline_id": 1,
        "stage_id": 2,
        "value": 1000,
        "currency": "EUR",
        "add_time": "2024-01-01T00:00:00Z",
        "update_time": "2024-02-01T10:11:12Z",
        "stage_change_time": None,
        "is_deleted": False,
        "is_archived": False,
        "status": "open",
        "probability": 50,
        "visible_to": 3,
        "won_time": None,
        "label_ids": [1, 2],
        "custom_fields": {H: {"value": 10, "currency": "USD"}},
    }
    deal.update(changes)
    return deal


def test_deal_nests_user_person_and_organization_objects():
    related = _related({"deals": [{"field_code": H, "field_type": "monetary"}]})
    v1 = deal_to_v1(_deal(), related)
    assert v1["user_id"] == {
        "id": 3,
        "name": "Owner Name",
        "email": "o@example.test",
        "has_pic": 0,
        "pic_hash": None,
        "active_flag": True,
        "value": 3,
    }
    assert v1["person_id"]["value"] == 5 and v1["person_id"]["email"][0]["value"] == "p@x.test"
    assert v1["org_id"] == {
        "name": "Org",
        "people_count": 4,
        "owner_id": 3,
        "address": "Somewhere 1",
        "active_flag": True,
        "cc_email": "company+org6@pipedrivemail.com",
        "value": 6,
    }
    assert v1["update_time"] == "2024-02-01 10:11:12"
    assert v1["visible_to"] == "3"
    assert v1["label"] == "1,2"
    assert v1["active"] is True and v1["deleted"] is False
    assert v1["weighted_value"] == 500
    assert v1[H] == 10 and v1[f"{H}_currency"] == "USD"
    assert "custom_fields" not in v1


def test_deal_flat_flavour_and_missing_links():
    v1 = deal_to_v1(_deal(person_id=None, org_id=None, is_deleted=True), _related(), nested=False)
    assert v1["user_id"] == 3
    assert v1["person_id"] is None and v1["org_id"] is None
    assert v1["deleted"] is True and v1["active"] is False


def test_person_organization_and_product_shapes():
    person = {
        "id": 5,
        "name": "Pat Doe",
        "owner_id": 3,
        "org_id": 6,
        "emails": [{"value": "p@x.test", "primary": True, "label": "work"}],
        "phones": [],
        "is_deleted": False,
        "visible_to": 1,
        "label_ids": [12],
        "add_time": "2024-01-01T00:00:00Z",
        "update_time": "2024-01-02T00:00:00Z",
        "postal_address": ADDRESS,
    }
    v1 = person_to_v1(person, _related())
    assert v1["owner_id"]["value"] == 3 and v1["org_id"]["value"] == 6
    assert v1["primary_email"] == "p@x.test" and v1["first_char"] == "p"
    assert v1["label"] == 12 and v1["visible_to"] == "1"
    assert v1["postal_address_route"] == "route-x"

    org = {"id": 6, "name": "Org", "owner_id": 3, "address": ADDRESS, "is_deleted": True, "label_ids": []}
    v1_org = organization_to_v1(org, _related())
    assert v1_org["address"] == ADDRESS["value"] and v1_org["address_postal_code"] == "postal_code-x"
    assert v1_org["active_flag"] is False and v1_org["label"] is None and v1_org["people_count"] == 4

    product = {
        "id": 9,
        "name": "Widget",
        "owner_id": 3,
        "is_deleted": False,
        "is_linkable": False,
        "visible_to": 3,
        "prices": [{"product_id": 9, "price": 5, "currency": "EUR", "cost": 2, "direct_cost": 1}],
    }
    v1_product = product_to_v1(product, _related())
    assert v1_product["selectable"] is False and v1_product["active_flag"] is True
    assert v1_product["prices"] == [
        {"id": 1, "product_id": 9, "price": 5, "currency": "EUR", "cost": 2, "overhead_cost": 1}
    ]


def test_field_definition_to_v1():
    field = {
        "field_code": H,
        "field_name": "Region",
        "field_type": "enum",
        "is_custom_field": True,
        "options": [{"id": 1, "label": "North", "color": None}],
    }
    v1 = field_to_v1(field, order_nr=7)
    assert v1["key"] == H and v1["name"] == "Region" and v1["field_type"] == "enum"
    assert v1["edit_flag"] is True and v1["active_flag"] is True and v1["order_nr"] == 7
    assert v1["options"] == [{"id": 1, "label": "North"}]
    assert v1["id"] == v1_field_id(H)
    builtin = field_to_v1({"field_code": "stage_id", "field_name": "Stage", "field_type": "stage"}, 1)
    assert builtin["edit_flag"] is False and builtin["field_type"] == "enum" and "options" not in builtin


def test_offset_pages_cover_everything_once():
    items = list(range(23))
    seen, start = [], 0
    while True:
        page = Page(start=start, limit=5)
        chunk, more = page.slice(items)
        seen.extend(chunk)
        info = page.pagination(more)
        if not more:
            assert "next_start" not in info
            break
        start = info["next_start"]
    assert seen == items


def test_limit_is_capped_at_500_and_garbage_is_rejected():
    assert parse_page({"limit": "10000"}).limit == 500
    assert parse_page({}).limit == 100
    with pytest.raises(Exception, match="integers"):
        parse_page({"start": "x"})


def test_recents_cap_is_one_calendar_month():
    now = parse_since("2026-03-31 12:00:00")
    assert one_month_before(now) == parse_since("2026-02-28 12:00:00")
    january = parse_since("2026-01-15 00:00:00")
    assert one_month_before(january) == parse_since("2025-12-15 00:00:00")
    assert effective_since(parse_since("2020-01-01 00:00:00"), january) == parse_since("2025-12-15 00:00:00")
    recent = parse_since("2026-01-10 00:00:00")
    assert effective_since(recent, january) == recent
