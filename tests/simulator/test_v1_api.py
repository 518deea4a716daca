"""API v1 over HTTP: pagination, custom-field shapes against the v2 truth, users, recents, fields, auth."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests

from simulator.control import Simulator
from simulator.fields import ADDRESS_PARTS

COUNTS = {
    "users": 5,
    "organizations": 30,
    "persons": 45,
    "products": 12,
    "deals": 80,
    "deal_products": 20,
    "activities": 70,
    "leads": 33,
    "notes": 25,
}
PAGE = 7  # small, so every list spans many pages


@pytest.fixture(scope="module")
def sim():
    with Simulator.start(seed=7, counts=COUNTS) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def http(sim):
    session = requests.Session()
    session.headers["x-api-token"] = sim.token
    yield session
    session.close()


def get(sim, http, path: str, **params) -> dict:
    response = http.get(f"{sim.base_url}{path}", params=params, timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    return body


def page_through(sim, http, path: str, wrapped: bool = True, limit: int = PAGE, **params) -> list[dict]:
    """Follow v1 offset pagination to the end, checking each page's pagination block."""
    items, start = [], 0
    while True:
        body = get(sim, http, path, start=start, limit=limit, **params)
        info = body["additional_data"]["pagination"] if wrapped else body["additional_data"]
        assert info["start"] == start and info["limit"] == limit
        assert len(body["data"] or []) <= limit
        items.extend(body["data"] or [])
        if not info["more_items_in_collection"]:
            assert "next_start" not in info
            return items
        next_start = info["next_start"] if wrapped else start + limit
        assert next_start == start + limit
        start = next_start


def v1_stamp(v2_time: str) -> str:
    return v2_time[:10] + " " + v2_time[11:19]


def ids(items: list[dict]) -> list:
    return [item["id"] for item in items]


@pytest.mark.parametrize(
    ("path", "entity", "keep", "params"),
    [
        ("/v1/deals", "deals", lambda r: not r["is_deleted"] and not r["is_archived"], {}),
        ("/api/v1/deals/archived", "deals", lambda r: not r["is_deleted"] and r["is_archived"], {"limit": 2}),
        ("/v1/persons", "persons", lambda r: not r["is_deleted"], {}),
        ("/api/v1/organizations", "organizations", lambda r: not r["is_deleted"], {}),
        ("/v1/products", "products", lambda r: not r["is_deleted"], {"limit": 3}),
        ("/v1/activities", "activities", lambda r: not r["is_deleted"], {"user_id": 0}),
        ("/v1/notes", "notes", lambda r: True, {}),
    ],
)
def test_offset_pagination_covers_every_record_once(sim, http, path, entity, keep, params):
    items = page_through(sim, http, path, **params)
    expected = sorted(record["id"] for record in sim.truth(entity) if keep(record))
    assert len(expected) > 2 * params.get("limit", PAGE)
    assert ids(items) == expected  # in id order, no gaps, no duplicates


@pytest.mark.parametrize(("path", "archived"), [("/v1/leads", False), ("/api/v1/leads/archived", True)])
def test_leads_use_the_specs_unwrapped_pagination(sim, http, path, archived):
    items = page_through(sim, http, path, wrapped=False)
    truth = [lead for lead in sim.truth("leads") if lead["is_archived"] == archived]
    assert sorted(ids(items)) == sorted(lead["id"] for lead in truth)
    assert len(set(ids(items))) == len(items)
    assert [item["add_time"] for item in items] == sorted(item["add_time"] for item in items)


def test_deleted_deals_only_on_request(sim, http):
    deleted = sorted(
        deal["id"] for deal in sim.truth("deals") if deal["is_deleted"] and not deal["is_archived"]
    )
    items = page_through(sim, http, "/v1/deals", status="deleted")
    assert deleted and [item["id"] for item in items if item["deleted"]] == deleted


def test_activities_default_to_the_token_users_own(sim, http):
    mine = page_through(sim, http, "/v1/activities")
    assert mine and {item["user_id"] for item in mine} == {1}
    assert len(mine) < len(page_through(sim, http, "/v1/activities", user_id=0))


def expected_v1_keys(code: str, field_type: str, value) -> dict:
    """The v1 keys of one custom field, written out per type (independent of the simulator's code)."""
    if field_type == "monetary":
        value = value or {}
        return {code: value.get("value"), f"{code}_currency": value.get("currency")}
    if field_type == "daterange":
        value = value or {}
        return {code: value.get("value"), f"{code}_until": value.get("until")}
    if field_type == "timerange":
        value = value or {}
        return {
            code: value.get("value"),
            f"{code}_until": value.get("until"),
            f"{code}_timezone_id": value.get("timezone_id"),
        }
    if field_type == "time":
        value = value or {}
        return {code: value.get("value"), f"{code}_timezone_id": value.get("timezone_id")}
    if field_type == "address":
        value = value or {}
        return {code: value.get("value"), **{f"{code}_{part}": value.get(part) for part in ADDRESS_PARTS}}
    if field_type == "enum":
        return {code: None if value is None else str(value)}
    if field_type == "set":
        return {code: ",".join(map(str, value)) if value else None}
    return {code: value}


@pytest.mark.parametrize(
    ("path", "entity", "field_entity", "params"),
    [
        ("/v1/deals", "deals", "deal_fields", {}),
        ("/v1/persons", "persons", "person_fields", {}),
        ("/v1/organizations", "organizations", "organization_fields", {}),
        ("/v1/products", "products", "product_fields", {}),
    ],
)
def test_every_custom_field_type_matches_the_v2_truth(sim, http, path, entity, field_entity, params):
    custom = [field for field in sim.fields(field_entity) if field["is_custom_field"]]
    covered_types = {field["field_type"] for field in custom}
    assert {
        "monetary",
        "enum",
        "set",
        "daterange",
        "timerange",
        "time",
        "address",
        "user",
        "date",
    } <= covered_types
    truth = {record["id"]: record for record in sim.truth(entity)}
    items = page_through(sim, http, path, **params)
    seen_values: set[str] = set()
    for item in items:
        v2 = truth[item["id"]]
        for field in custom:
            value = v2["custom_fields"].get(field["field_code"])
            for key, expected in expected_v1_keys(field["field_code"], field["field_type"], value).items():
                assert item[key] == expected, (item["id"], field["field_name"], key)
            if value is not None:
                seen_values.add(field["field_type"])
        assert "custom_fields" not in item
        assert item["update_time"] == v1_stamp(v2["update_time"])
        assert item["visible_to"] == str(v2["visible_to"])
    assert seen_values == covered_types  # every type carried a real value somewhere


def test_deal_links_are_nested_objects(sim, http):
    deal = next(d for d in sim.truth("deals") if d["person_id"] and d["org_id"] and not d["is_deleted"])
    body = get(sim, http, f"/v1/deals/{deal['id']}")["data"]
    person = sim.get("persons", deal["person_id"])
    owner = sim.get("users", deal["owner_id"])
    assert body["user_id"]["value"] == deal["owner_id"] and body["user_id"]["name"] == owner["name"]
    assert body["person_id"]["value"] == deal["person_id"] and body["person_id"]["name"] == person["name"]
    assert body["org_id"]["value"] == deal["org_id"]
    assert body["owner_name"] == owner["name"]


def test_leads_flatten_only_the_custom_fields_that_are_set(sim, http):
    fields = {field["field_code"]: field for field in sim.fields("deal_fields") if field["is_custom_field"]}
    lead = next(
        lead for lead in sim.truth("leads") if any(v is not None for v in lead["custom_fields"].values())
    )
    body = get(sim, http, f"/v1/leads/{lead['id']}")["data"]
    assert "custom_fields" not in body
    for code, value in lead["custom_fields"].items():
        if value is None:
            assert code not in body
        else:
            for key, expected in expected_v1_keys(code, fields[code]["field_type"], value).items():
                assert body[key] == expected


def test_users_have_modified_and_no_pagination(sim, http):
    body = get(sim, http, "/v1/users")
    assert "additional_data" not in body
    truth = sim.truth("users")
    assert ids(body["data"]) == ids(truth)
    assert all(user["modified"] and user["created"] for user in body["data"])
    before = next(user for user in body["data"] if user["id"] == 2)["modified"]
    sim.advance(90)
    sim.update("users", 2, {"name": "Renamed User"})
    after = get(sim, http, "/api/v1/users/2")["data"]
    assert after["name"] == "Renamed User" and after["modified"] > before
    me = get(sim, http, "/v1/users/me")["data"]
    assert me["id"] == 1 and me["is_you"] is True


def _v1_text(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def test_recents_returns_changes_in_order_and_caps_history_at_one_month(sim, http):
    sim.advance(3600)
    changed = sim.update("deals", 5, {"title": "Changed for recents"})
    body = get(sim, http, "/v1/recents", since_timestamp=_v1_text(sim.now() - 60), items="deal")
    assert [(entry["item"], entry["id"]) for entry in body["data"]] == [("deal", 5)]
    assert body["data"][0]["data"]["title"] == changed["title"]
    assert body["data"][0]["data"]["user_id"] == changed["owner_id"]  # recents keeps ids flat

    ancient = get(sim, http, "/v1/recents", since_timestamp="2015-01-01 00:00:00", limit=500)
    capped_since = ancient["additional_data"]["since_timestamp"]
    now = datetime.fromtimestamp(sim.now(), timezone.utc)
    month_ago = (
        now.replace(month=now.month - 1) if now.month > 1 else now.replace(year=now.year - 1, month=12)
    )
    assert capped_since == month_ago.strftime("%Y-%m-%d %H:%M:%S")
    older_updates = [d for d in sim.truth("deals") if v1_stamp(d["update_time"]) <= capped_since]
    assert older_updates, "the data set must hold changes older than a month"
    returned = {(entry["item"], entry["id"]) for entry in ancient["data"]}
    assert not any(("deal", deal["id"]) in returned for deal in older_updates)
    assert ("deal", 5) in returned
    stamps = [entry["data"].get("update_time") or entry["data"].get("modified") for entry in ancient["data"]]
    assert stamps == sorted(stamps)


def test_recents_requires_since_timestamp(sim, http):
    response = http.get(f"{sim.base_url}/v1/recents", timeout=10)
    assert response.status_code == 400 and response.json()["success"] is False


@pytest.mark.parametrize(
    ("path", "field_entity"),
    [
        ("dealFields", "deal_fields"),
        ("personFields", "person_fields"),
        ("organizationFields", "organization_fields"),
        ("productFields", "product_fields"),
        ("activityFields", "activity_fields"),
    ],
)
def test_field_endpoints_mirror_the_v2_definitions(sim, http, path, field_entity):
    body = get(sim, http, f"/v1/{path}")
    v2 = sim.fields(field_entity)
    assert [field["key"] for field in body["data"]] == [field["field_code"] for field in v2]
    for v1_field, v2_field in zip(body["data"], v2, strict=True):
        assert v1_field["name"] == v2_field["field_name"]
        assert v1_field["edit_flag"] is v2_field["is_custom_field"]
        assert v1_field["active_flag"] is True
        v2_options = [(item["id"], item["label"]) for item in v2_field["options"] or ()]
        if not v2_options:  # Pipedrive leaves the key out; clients crash on `"options": null`
            assert "options" not in v1_field
            continue
        assert [(item["id"], item["label"]) for item in v1_field["options"]] == v2_options
    one = body["data"][-1]
    if path == "activityFields":  # v1 has no single activity field endpoint
        assert http.get(f"{sim.base_url}/v1/{path}/{one['id']}", timeout=10).status_code == 404
    else:
        assert get(sim, http, f"/api/v1/{path}/{one['id']}")["data"] == one


def test_both_prefixes_serve_the_same_body(sim, http):
    for path in ("users", "currencies", "activityTypes", "leadLabels", "deals?limit=3", "dealFields"):
        assert get(sim, http, f"/v1/{path}") == get(sim, http, f"/api/v1/{path}")


@pytest.mark.parametrize("headers", [{}, {"x-api-token": "wrong"}])
def test_missing_or_wrong_token_is_401(sim, headers):
    response = requests.get(f"{sim.base_url}/v1/deals", headers=headers, timeout=10)
    assert response.status_code == 401
    body = response.json()
    assert body["success"] is False and body["error"] and body["data"] is None


def test_unknown_record_is_404(sim, http):
    response = http.get(f"{sim.base_url}/v1/persons/999999", timeout=10)
    assert response.status_code == 404 and response.json()["error"] == "Person not found"


def test_token_costs_follow_the_v1_spec(sim, http):
    sim.reset_stats()
    get(sim, http, "/v1/deals", limit=1)
    get(sim, http, "/v1/deals/1")
    get(sim, http, "/v1/leads/archived", limit=1)
    endpoints = sim.stats["endpoints"]
    assert endpoints["GET /v1/deals"]["tokens"] == 20
    assert endpoints["GET /v1/deals/{id}"]["tokens"] == 2
    assert endpoints["GET /v1/leads/archived"]["tokens"] == 40


def test_lead_fields_are_lead_builtins_plus_the_deal_custom_fields(sim, http):
    body = get(sim, http, "/v1/leadFields")
    custom_codes = [field["field_code"] for field in sim.fields("deal_fields") if field["is_custom_field"]]
    keys = [field["key"] for field in body["data"]]
    assert keys[-len(custom_codes) :] == custom_codes
    assert {"title", "value", "person_id", "organization_id"} <= set(keys)
    assert all(field["edit_flag"] == (field["key"] in custom_codes) for field in body["data"])


def test_derived_counts_follow_writes_in_the_same_second(sim, http):
    org_id = next(org["id"] for org in sim.truth("organizations") if not org["is_deleted"])
    before = get(sim, http, f"/v1/organizations/{org_id}")["data"]["people_count"]
    person = next(p for p in sim.truth("persons") if not p["is_deleted"] and p["org_id"] != org_id)
    sim.update("persons", person["id"], {"org_id": org_id})  # clock not advanced on purpose
    assert get(sim, http, f"/v1/organizations/{org_id}")["data"]["people_count"] == before + 1
    v1_truth = {org["id"]: org for org in sim.truth("organizations", version="v1")}
    assert v1_truth[org_id]["people_count"] == before + 1


def test_sorting_by_update_time_allows_incremental_reads(sim, http):
    items = page_through(sim, http, "/v1/persons", sort="update_time ASC")
    stamps = [item["update_time"] for item in items]
    assert stamps == sorted(stamps) and len(items) == len({item["id"] for item in items})
    newest_first = get(sim, http, "/v1/persons", sort="update_time DESC", limit=1)["data"][0]
    assert newest_first["update_time"] == stamps[-1]


def test_an_empty_deprecated_list_has_null_data(sim, http):
    body = get(sim, http, "/v1/deals", user_id=987654)
    assert body["data"] is None
    assert body["additional_data"]["pagination"]["more_items_in_collection"] is False
