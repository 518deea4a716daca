"""The schema logic of scripts/check_conformance.py, on an inline OpenAPI document (no specs needed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_conformance.py"


@pytest.fixture(scope="module")
def cc():
    spec = importlib.util.spec_from_file_location("check_conformance", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


DOCUMENT = {
    "paths": {
        "/deals": {"get": {"responses": {"200": {}}}},
        "/deals/archived": {"get": {"responses": {"201": {}}}},
        "/deals/{id}": {"get": {"responses": {"200": {}}}},
    },
    "components": {
        "schemas": {
            "Owner": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            },
        }
    },
}
RECORD = {
    "title": "Deal",
    "allOf": [
        {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "integer"},
                "status": {"type": "string", "enum": ["open", "won"]},
                "won_time": {"type": "string", "format": "date-time"},
            },
        },
        {
            "type": "object",
            "properties": {
                "owner": {"$ref": "#/components/schemas/Owner"},
                "probability": {"type": "number", "nullable": True},
                "tags": {"type": "array", "items": {"type": "string"}},
                "custom_fields": {"type": "object", "additionalProperties": True},
            },
        },
    ],
}


def check(cc, instance, schema=RECORD, documented=frozenset()):
    converted = cc.to_json_schema(schema, DOCUMENT)
    return cc.validate(instance, converted, cc.format_checker(("date-time", "date")), set(documented))


def test_a_conforming_record_passes_and_allof_parts_are_merged(cc):
    record = {
        "id": 1,
        "status": "open",
        "won_time": "2024-01-01T00:00:00Z",
        "owner": {"id": 3, "name": "Ann"},
        "probability": None,
        "tags": ["a"],
        "custom_fields": {"anything": {"goes": 1}},
        "d" * 40 + "_currency": "EUR",  # a v1 custom-field key
    }
    result = check(cc, record)
    assert result.ok, result.errors
    assert result.tolerated_nulls == []


@pytest.mark.parametrize(
    ("record", "fragment"),
    [
        ({"status": "open"}, "'id' is a required property"),
        ({"id": "1"}, "'1' is not of type 'integer'"),
        ({"id": 1, "status": "lost"}, "'lost' is not one of"),
        ({"id": 1, "surprise": True}, "undeclared surprise"),
        ({"id": 1, "owner": {"id": 1, "extra": 2}}, "$.owner: undeclared extra"),
        ({"id": 1, "tags": [None]}, "$.tags[0]: None is not of type 'string'"),
        ({"id": 1, "won_time": "2024-01-01 00:00:00"}, "is not a 'date-time'"),
        ({"id": True}, "True is not of type 'integer'"),
    ],
)
def test_violations_are_errors(cc, record, fragment):
    result = check(cc, record)
    assert not result.ok
    assert any(fragment in error for error in result.errors), result.errors


def test_undeclared_nulls_on_properties_are_tolerated_but_reported(cc):
    result = check(cc, {"id": 1, "won_time": None, "status": None})
    assert result.ok
    assert sorted(result.tolerated_nulls) == ["$.status", "$.won_time"]


def test_keys_shown_by_the_specs_own_example_are_tolerated(cc):
    example = cc.example_paths({"data": [{"id": 1, "add_time": "x"}]})
    schema = {
        "type": "object",
        "properties": {"data": {"type": "array", "items": {"type": "object", "properties": {"id": {}}}}},
    }
    result = check(cc, {"data": [{"id": 1, "add_time": "y"}]}, schema, example)
    assert result.ok and result.example_keys == ["$.data[0]"]
    result = check(cc, {"data": [{"id": 1, "update_time": "y"}]}, schema, example)
    assert result.errors == ["$.data[0]: undeclared update_time"]


def test_oneof_becomes_anyof_and_tolerance_reaches_inside_a_branch(cc):
    schema = {
        "oneOf": [
            {"type": "object", "properties": {"item": {"enum": ["deal"]}, "value": {"type": "number"}}},
            {"type": "object", "properties": {"item": {"enum": ["person"]}, "name": {"type": "string"}}},
        ]
    }
    result = check(cc, {"item": "person", "name": None}, schema)
    assert result.ok and result.tolerated_nulls == ["$.name"]
    result = check(cc, {"item": "person", "value": 3}, schema)
    assert not result.ok


def test_spec_paths_prefer_literal_segments_and_success_status_comes_from_the_spec(cc):
    spec = cc.Spec(name="v2", document=DOCUMENT, prefixes=("/api/v2",), formats=())
    assert spec.spec_path("/api/v2/deals/archived") == "/deals/archived"
    assert spec.spec_path("/api/v2/deals/17") == "/deals/{id}"
    assert spec.spec_path("/v1/deals") is None
    _, operation = spec.operation("GET", "/api/v2/deals/archived")
    assert cc.Spec.success_status(operation) == 201


def test_error_bodies_must_have_the_common_error_keys(cc):
    widened = cc.with_error_body({"type": "object", "properties": {"errorCode": {"type": "integer"}}})
    body = {"success": False, "error": "x", "error_info": "y", "data": None, "additional_data": None}
    assert cc.validate({**body, "errorCode": 401}, widened).ok
    assert not cc.validate({"success": False, "error": "x"}, widened).ok
