"""Check the simulator's responses against Pipedrive's official OpenAPI specs.

Usage: python scripts/check_conformance.py PATH/TO/reference-folder [--no-example-keys]

The folder must hold `pipedrive-v2-openapi.yml` and `pipedrive-v1-openapi.yml` (and, for
the deprecated v1 lists, `docs/000_*.txt`). The script starts a small seeded simulator with
every custom-field type, calls every route it serves (v2 and v1: lists, get-one, writes,
fields, archived, deal products, 400/401/404/429 errors; a served route nobody called is a
failure), validates each body against the response schema of the matching operation and
prints one row per endpoint and status. Exit status 1 on any failure.

Strictness: types, required properties, enums, formats (v2) and shapes must match; extra
properties are errors unless the schema allows them (free-form objects,
`additionalProperties`, or v1 custom-field keys, which the specs describe but cannot list).
Tolerated, counted and shown, never silent:
- `nulls`: a null where the spec forgot `nullable` (API notes, section 8);
- `exkeys`: an undeclared key that the operation's own example in the spec shows (the spec
  documents it, its schema forgot it), and `next_start` in a v1 `pagination` object (the v1
  spec's shared pagination object has it, some operations' copies forgot it);
  `--no-example-keys` turns these into failures.
Error statuses the operation does not document are checked against the API notes' error
body (section 7); documented ones must fit the union of both. The deprecated v1 lists left
the v1 spec: they are checked against the v1 reference's JSON schemas, leniently (those are
incomplete), marked `docs/000 (lenient)`. The simulator runs strict (`simulator.contract`):
every call here must also be on-spec, or it answers 400. This is a developer tool: tests never
need specs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import requests
import yaml

from simulator.control import Simulator

# ---------------------------------------------------------------------------------------
# OpenAPI 3.0 schema -> strict JSON Schema
# ---------------------------------------------------------------------------------------

#: v1 custom fields are top-level record keys: a 40-hex hash, optionally with a suffix.
CUSTOM_FIELD_KEY = r"^[0-9a-f]{40}(_[a-z0-9_]+)?$"

_OPENAPI_ONLY_KEYWORDS = {
    "nullable",
    "example",
    "examples",
    "description",
    "title",
    "discriminator",
    "xml",
    "externalDocs",
    "deprecated",
    "readOnly",
    "writeOnly",
}


def resolve_ref(spec: dict, ref: str) -> dict:
    """Follow a local `#/a/b` reference inside the spec document."""
    if not ref.startswith("#/"):
        raise ValueError(f"only local $refs are supported, got {ref!r}")
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def to_json_schema(node: Any, spec: dict, _refs: tuple[str, ...] = ()) -> dict:
    """Convert one OpenAPI 3.0 schema into a strict JSON Schema (draft 2020-12).

    `$ref` is inlined (a cycle becomes an open schema), `allOf` of object schemas is
    merged so that strict `additionalProperties` sees every declared property, `oneOf`
    becomes `anyOf` (the specs' branches overlap), and `nullable` adds `null`.
    """
    if not isinstance(node, dict):
        return {}
    if "$ref" in node:
        ref = node["$ref"]
        if ref in _refs:
            return {}
        return to_json_schema(resolve_ref(spec, ref), spec, (*_refs, ref))

    out: dict[str, Any] = {
        key: value for key, value in node.items() if key not in _OPENAPI_ONLY_KEYWORDS and key[:2] != "x-"
    }
    for key in ("anyOf", "oneOf"):
        if key in out:
            branches = [to_json_schema(branch, spec, _refs) for branch in out.pop(key)]
            out.setdefault("anyOf", []).extend(branches)
    if "items" in out:
        out["items"] = to_json_schema(out["items"], spec, _refs)
    if "not" in out:
        out["not"] = to_json_schema(out["not"], spec, _refs)
    if isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = to_json_schema(out["additionalProperties"], spec, _refs)
    if "properties" in out:
        out["properties"] = {
            name: to_json_schema(sub, spec, _refs) for name, sub in out["properties"].items()
        }
    if "allOf" in out:
        out = _merge_all_of(out, [to_json_schema(part, spec, _refs) for part in out.pop("allOf")])
    _close_object(out)
    if node.get("nullable"):
        out = _allow_null(out)
    return out


def _is_object_like(schema: dict) -> bool:
    kind = schema.get("type")
    return kind == "object" or (kind is None and ("properties" in schema or "required" in schema))


def _merge_all_of(base: dict, parts: list[dict]) -> dict:
    """Fold object parts of an allOf into one object schema; keep the rest as allOf."""
    parts = [part for part in parts if part]
    objects = [part for part in parts if _is_object_like(part) and "anyOf" not in part]
    others = [part for part in parts if part not in objects]
    merged = dict(base)
    if objects:
        merged.setdefault("type", "object")
        properties: dict[str, Any] = dict(merged.get("properties", {}))
        required: list[str] = list(merged.get("required", []))
        for part in objects:
            for name, sub in part.get("properties", {}).items():
                properties[name] = {"allOf": [properties[name], sub]} if name in properties else sub
            required.extend(name for name in part.get("required", []) if name not in required)
            if "additionalProperties" in part and part["additionalProperties"] is not False:
                merged["additionalProperties"] = part["additionalProperties"]
            if "patternProperties" in part:
                merged.setdefault("patternProperties", {}).update(part["patternProperties"])
        merged["properties"] = properties
        if required:
            merged["required"] = required
    if others:
        merged["allOf"] = others
    return merged


#: v1 `related_objects` maps are keyed by record id; the specs write the key as a placeholder.
ID_PLACEHOLDER = re.compile(r"^[A-Z]+(_[A-Z]+)*_ID$")


def _close_object(schema: dict) -> None:
    """Declared properties are the only ones allowed, unless the spec opened the object. A
    placeholder property (`DEAL_ID`, `USER_ID`) stands for every numeric key."""
    for name in [name for name in schema.get("properties", {}) if ID_PLACEHOLDER.match(name)]:
        schema.setdefault("patternProperties", {})["^[0-9]+$"] = schema["properties"].pop(name)
    if _is_object_like(schema) and schema.get("properties") and "additionalProperties" not in schema:
        schema["additionalProperties"] = False
        schema.setdefault("patternProperties", {})[CUSTOM_FIELD_KEY] = {}


def _allow_null(schema: dict) -> dict:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema = {**schema, "type": [kind, "null"]}
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    if kind is None and not schema:
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def format_checker(formats: Iterable[str]) -> jsonschema.FormatChecker:
    """Formats to enforce. The v1 spec labels `YYYY-MM-DD HH:MM:SS` values `date-time`, so
    date-time is only enforced for v2."""
    checks: dict[str, Callable[[object], bool]] = {
        "date-time": lambda value: not isinstance(value, str) or bool(_RFC3339.match(value)),
        "date": _is_date,
        "uuid": _is_uuid,
    }
    checker = jsonschema.FormatChecker(formats=())
    for name in formats:
        checker.checks(name)(checks[name])
    return checker


@dataclass
class ValidationResult:
    errors: list[str] = field(default_factory=list)
    tolerated_nulls: list[str] = field(default_factory=list)
    example_keys: list[str] = field(default_factory=list)  # undeclared, but in the spec's own example

    @property
    def ok(self) -> bool:
        return not self.errors


def _path(error: jsonschema.ValidationError) -> str:
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)


def _is_undeclared_null(error: jsonschema.ValidationError) -> bool:
    """A null object property that the spec did not mark nullable (notes section 8)."""
    return (
        error.instance is None
        and error.validator in {"type", "enum", "anyOf", "allOf", "const", "format"}
        and bool(error.absolute_path)
        and isinstance(error.absolute_path[-1], str)
    )


def example_paths(example: Any, prefix: tuple = ()) -> set[tuple]:
    """Every key path in a spec example, array positions written as `[]`."""
    paths: set[tuple] = set()
    if isinstance(example, dict):
        for key, value in example.items():
            paths.add((*prefix, key))
            paths |= example_paths(value, (*prefix, key))
    elif isinstance(example, list):
        for item in example:
            paths |= example_paths(item, (*prefix, "[]"))
    return paths


def validate(
    instance: Any,
    schema: dict,
    checker: jsonschema.FormatChecker | None = None,
    documented: set[tuple] = frozenset(),
) -> ValidationResult:
    """Validate against a converted schema.

    Tolerated but reported: nulls the spec forgot to mark nullable, and undeclared keys that
    the operation's own example shows (`documented`, from `example_paths`).
    """
    validator = jsonschema.Draft202012Validator(schema, format_checker=checker)
    result = ValidationResult()
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        _classify(error, documented, result)
    result.tolerated_nulls = list(dict.fromkeys(result.tolerated_nulls))  # type + enum: one null
    return result


def _classify(error: jsonschema.ValidationError, documented: set[tuple], result: ValidationResult) -> None:
    """File one error as fatal or tolerated. An anyOf passes when one branch fails only on
    tolerable points (nulls, example keys), so tolerance reaches inside `anyOf` too."""
    if _is_undeclared_null(error):
        result.tolerated_nulls.append(_path(error))
        return
    if error.validator == "additionalProperties":
        undocumented = _undocumented_extras(error, documented)
        if undocumented:
            result.errors.append(f"{_path(error)}: undeclared {', '.join(sorted(undocumented))}")
        else:
            result.example_keys.append(_path(error))
        return
    if error.validator == "anyOf" and error.context:
        branches: dict[int, list[jsonschema.ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        for sub_errors in branches.values():
            trial = ValidationResult()
            for sub in sub_errors:
                _classify(sub, documented, trial)
            if trial.ok:
                result.tolerated_nulls += trial.tolerated_nulls
                result.example_keys += trial.example_keys
                return
    result.errors.append(f"{_path(error)}: {_describe(error)}")


def _undocumented_extras(error: jsonschema.ValidationError, documented: set[tuple]) -> set[str]:
    declared = set(error.schema.get("properties", {}))
    patterns = [re.compile(pattern) for pattern in error.schema.get("patternProperties", {})]
    extras = {
        key for key in error.instance if key not in declared and not any(p.search(key) for p in patterns)
    }
    where = tuple("[]" if isinstance(part, int) else part for part in error.absolute_path)
    if where and where[-1] == "pagination":
        extras.discard("next_start")  # in the v1 spec's shared pagination object
    return {key for key in extras if (*where, key) not in documented}


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "anyOf" and error.context:
        best = jsonschema.exceptions.best_match(error.context)
        return f"no anyOf branch matched (closest: {_path(best)}: {best.message[:160]})"
    return error.message[:200]


# ---------------------------------------------------------------------------------------
# Spec lookup
# ---------------------------------------------------------------------------------------


@dataclass
class Spec:
    """One OpenAPI document plus how to turn a simulator URL path into a spec path."""

    name: str
    document: dict
    prefixes: tuple[str, ...]
    formats: tuple[str, ...]
    _templates: list[tuple[re.Pattern, int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for path in self.document.get("paths", {}):
            params = path.count("{")
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
            self._templates.append((pattern, params, path))
        self._templates.sort(key=lambda item: item[1])

    def relative(self, url_path: str) -> str | None:
        """The path below this API's prefix, or None when the URL belongs to another API."""
        for prefix in self.prefixes:
            if url_path.startswith(prefix + "/"):
                return url_path[len(prefix) :]
        return None

    def spec_path(self, url_path: str) -> str | None:
        relative = self.relative(url_path)
        if relative is None:
            return None
        return next((path for pattern, _, path in self._templates if pattern.match(relative)), None)

    def operation(self, method: str, url_path: str) -> tuple[str, dict] | None:
        path = self.spec_path(url_path)
        if path is None:
            return None
        operation = self.document["paths"][path].get(method.lower())
        return (path, operation) if operation else None

    def response_schema(self, operation: dict, status: int) -> tuple[dict, set[tuple]] | None:
        """The converted response schema and the key paths of the response's example."""
        responses = operation.get("responses", {})
        response = (
            responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        )
        if response is None:
            return None
        content = response.get("content", {})
        media = content.get("application/json") or next(iter(content.values()), None)
        if media is None or "schema" not in media:
            return None
        return to_json_schema(media["schema"], self.document), example_paths(media.get("example"))

    @staticmethod
    def success_status(operation: dict) -> int:
        """The documented 2xx status (201 for some creates), else 200."""
        codes = sorted(int(code) for code in operation.get("responses", {}) if str(code).startswith("2"))
        return codes[0] if codes else 200

    @staticmethod
    def declared_headers(operation: dict, status: int) -> dict[str, dict]:
        response = operation.get("responses", {}).get(str(status), {})
        return response.get("headers", {})


def load_spec(path: Path, name: str, prefixes: tuple[str, ...], formats: tuple[str, ...]) -> Spec:
    with path.open("rb") as handle:
        document = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return Spec(name=name, document=document, prefixes=prefixes, formats=formats)


# ---------------------------------------------------------------------------------------
# Schemas outside the OpenAPI specs
# ---------------------------------------------------------------------------------------

#: Pipedrive's error body (API notes, section 7), for statuses an operation does not document.
ERROR_BODY_SCHEMA = {
    "type": "object",
    "required": ["success", "error", "error_info", "data", "additional_data"],
    "properties": {
        "success": {"const": False},
        "error": {"type": "string", "minLength": 1},
        "error_info": {"type": "string"},
        "data": {"type": "null"},
        "additional_data": {"type": "null"},
    },
    "additionalProperties": False,
}


def with_error_body(documented: dict) -> dict:
    """An error schema from the spec widened by the common error keys of the API notes.

    The specs describe error bodies unevenly (some only `success` and `error`, the 401 of
    `/users/me` adds `errorCode`); the notes' body is the common case. A response must fit
    the union of both, with the notes' required keys.
    """
    properties = {**ERROR_BODY_SCHEMA["properties"], **documented.get("properties", {})}
    return {**ERROR_BODY_SCHEMA, "properties": properties}


#: The deprecated v1 list/get endpoints left the v1 OpenAPI spec; the v1 reference's JSON
#: schemas (docs/000_*.txt) still describe them, incompletely: checked leniently.
DEPRECATED_V1_SCHEMAS = {
    ("GET", "/deals"): "DealsGetAllDealsResponse",
    ("GET", "/deals/{id}"): "DealsGetDetailsResponse",
    ("GET", "/persons"): "PersonsListAllPersonsResponse",
    ("GET", "/persons/{id}"): "PersonsGetPersonDetailsResponse",
    ("GET", "/organizations"): "OrganizationsGetAllResponse",
    ("GET", "/organizations/{id}"): "OrganizationsGetDetailsResponse",
    ("GET", "/activities"): "ActivitiesListUserActivitiesResponse",
    ("GET", "/activities/{id}"): "ActivitiesGetDetailsResponse",
    ("GET", "/products"): "ProductsGetAllProductsResponse",
    ("GET", "/products/{id}"): "ProductsGetDetailsResponse",
    ("GET", "/pipelines"): "PipelinesGetAllResponse",
    ("GET", "/stages"): "StagesGetAllResponse",
    ("GET", "/deals/{id}/products"): "DealsListDealProductsResponse",
}


def load_reference_schemas(folder: Path) -> dict[str, dict]:
    """`Name` lines followed by a JSON schema, as laid out in docs/000_*.txt."""
    schemas: dict[str, dict] = {}
    decoder = json.JSONDecoder()
    for path in sorted(folder.glob("docs/000_*.txt")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"^([A-Z][A-Za-z0-9]+)\n\{", text, flags=re.MULTILINE):
            try:
                schema, _ = decoder.raw_decode(text, match.end() - 1)
            except ValueError:
                continue
            schemas[match.group(1)] = schema
    return schemas


def lenient(schema: dict) -> dict:
    """Open every object, drop `additional_data` and let `integer` take any number (they type
    prices so): for the incomplete docs/000 schemas."""
    if isinstance(schema, dict):
        out = {key: lenient(value) for key, value in schema.items()}
        if out.get("type") == "integer":
            out["type"] = "number"
        if out.get("additionalProperties") is False:
            del out["additionalProperties"]
        if isinstance(out.get("properties"), dict):
            out["properties"].pop("additional_data", None)
        return out
    if isinstance(schema, list):
        return [lenient(item) for item in schema]
    return schema


# ---------------------------------------------------------------------------------------
# Matching a response to its schema
# ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    method: str
    path: str
    status: int
    endpoint: str  # spec path, e.g. "GET v2 /deals/{id}"
    source: str  # where the schema came from
    result: ValidationResult
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result.ok and not self.problems


@dataclass
class SchemaChoice:
    endpoint: str  # e.g. "GET v2 /deals/{id}"
    source: str  # "v2 spec", "v1 spec", "docs/000 (lenient)", "notes §7" or "no schema"
    schema: dict | None = None
    documented: set[tuple] = field(default_factory=set)
    checker: jsonschema.FormatChecker | None = None
    operation: dict | None = None


class Checker:
    """Finds the schema of a response (spec operation, else docs/000, else the error body)."""

    def __init__(self, specs: list[Spec], reference: dict[str, dict], trust_examples: bool = True) -> None:
        self.specs = specs
        self.reference = reference
        self.trust_examples = trust_examples
        self.format_checkers = {spec.name: format_checker(spec.formats) for spec in specs}

    def expected_status(self, method: str, path: str) -> int:
        for spec in self.specs:
            found = spec.operation(method, path)
            if found:
                return Spec.success_status(found[1])
        return 200

    def check(self, method: str, path: str, expect: int, response) -> Outcome:
        status = response.status_code
        problems = [] if status == expect else [f"status {status}, expected {expect}"]
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("application/json"):
            problems.append(f"content-type {content_type!r}")
        choice = self.choose(method, path, status)
        for name in Spec.declared_headers(choice.operation or {}, status):
            if name.lower() not in {key.lower() for key in response.headers}:
                problems.append(f"declared header {name} missing")
        try:
            body = response.json()
        except ValueError:
            result = ValidationResult(["body is not JSON"])
        else:
            result = ValidationResult()
            if choice.schema is not None:
                result = validate(body, choice.schema, choice.checker, choice.documented)
        return Outcome(method, path, status, choice.endpoint, choice.source, result, problems)

    def choose(self, method: str, path: str, status: int) -> SchemaChoice:
        for spec in self.specs:
            relative = spec.relative(path)
            if relative is None:
                continue
            found = spec.operation(method, path)
            template = found[0] if found else self._deprecated_template(spec, relative) or relative
            endpoint = f"{method} {spec.name} {template}"
            operation = found[1] if found else None
            documented = spec.response_schema(operation, status) if operation else None
            if documented is not None:
                schema, example = documented
                example = example if self.trust_examples else set()
                if status >= 400:
                    schema = with_error_body(schema)
                checker = self.format_checkers[spec.name]
                return SchemaChoice(endpoint, f"{spec.name} spec", schema, example, checker, operation)
            if status >= 400:
                return SchemaChoice(endpoint, "notes §7", ERROR_BODY_SCHEMA, operation=operation)
            name = DEPRECATED_V1_SCHEMAS.get((method, template)) if spec.name == "v1" else None
            if name in self.reference:
                schema = lenient(to_json_schema(self.reference[name], {}))
                return SchemaChoice(endpoint, "docs/000 (lenient)", schema)
            return SchemaChoice(endpoint, "no schema")
        return SchemaChoice(f"{method} {path}", "no schema")

    @staticmethod
    def _deprecated_template(spec: Spec, relative: str) -> str | None:
        if spec.name != "v1":
            return None
        for _, template in DEPRECATED_V1_SCHEMAS:
            if re.match("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$", relative):
                return template
        return None


# ---------------------------------------------------------------------------------------
# The calls: every route the simulator serves, reads, writes and documented errors
# ---------------------------------------------------------------------------------------

ENTITY_PATHS = {
    "deals": "/deals",
    "persons": "/persons",
    "organizations": "/organizations",
    "activities": "/activities",
    "products": "/products",
    "pipelines": "/pipelines",
    "stages": "/stages",
}
INCREMENTAL = ("deals", "persons", "organizations", "activities", "products")
FIELD_PATHS = {
    "deal_fields": "/dealFields",
    "person_fields": "/personFields",
    "organization_fields": "/organizationFields",
    "product_fields": "/productFields",
    "activity_fields": "/activityFields",
}
WRITE_BODIES = {
    "deals": ({"title": "Conformance deal", "value": 100, "currency": "EUR"}, {"title": "Renamed"}),
    "persons": ({"name": "Conformance Person"}, {"job_title": "Tester"}),
    "organizations": ({"name": "Conformance Org"}, {"name": "Conformance Org 2"}),
    "activities": ({"subject": "Call them", "type": "call"}, {"done": True}),
    "products": ({"name": "Conformance product", "prices": []}, {"unit": "box"}),
    "pipelines": ({"name": "Conformance pipeline"}, {"name": "Renamed pipeline"}),
    "stages": ({"name": "Conformance stage", "pipeline_id": 1}, {"name": "Renamed stage"}),
}
NO_TOKEN = ""
WRONG_TOKEN = "not-the-token"


class Run:
    """Sends calls to one simulator and checks each response as it arrives."""

    def __init__(self, sim, checker: Checker) -> None:
        self.sim = sim
        self.checker = checker
        self.session = requests.Session()
        self.outcomes: list[Outcome] = []

    def call(self, method: str, path: str, params=None, body=None, expect: int | None = None, token=None):
        """Send one request; `expect` defaults to the operation's documented success status."""
        expect = expect or self.checker.expected_status(method, path)
        headers = {} if token == NO_TOKEN else {"x-api-token": token or self.sim.token}
        response = self.session.request(
            method, self.sim.base_url + path, params=params, json=body, headers=headers, timeout=30
        )
        self.outcomes.append(self.checker.check(method, path, expect, response))
        try:
            return response.json()
        except ValueError:
            return None

    def v2_reads(self) -> None:
        sim = self.sim
        for entity, path in ENTITY_PATHS.items():
            page = self.call("GET", f"/api/v2{path}", {"limit": 3})
            cursor = (page.get("additional_data") or {}).get("next_cursor")
            if cursor:
                self.call("GET", f"/api/v2{path}", {"limit": 3, "cursor": cursor})
            if entity == "products":  # no updated_since declared: newest first is the incremental read
                self.call("GET", f"/api/v2{path}", {"sort_by": "update_time", "sort_direction": "desc"})
            elif entity in INCREMENTAL:
                self.call(
                    "GET",
                    f"/api/v2{path}",
                    {"updated_since": "2020-01-01T00:00:00Z", "sort_by": "update_time"},
                )
            self.call("GET", f"/api/v2{path}/{_first_id(sim, entity)}")
            self.call("GET", f"/api/v2{path}/999999", expect=404)
        deleted = next(deal["id"] for deal in sim.truth("deals") if deal["is_deleted"])
        with_products = sorted({row["deal_id"] for row in sim.truth("deal_products")})[:5]
        self.call(
            "GET", "/api/v2/deals", {"status": "open,won,lost,deleted", "include_option_labels": "true"}
        )
        self.call("GET", f"/api/v2/deals/{deleted}")
        self.call("GET", "/api/v2/deals/archived", {"limit": 5})
        self.call("GET", "/api/v2/deals/products", {"deal_ids": ",".join(map(str, with_products))})
        self.call("GET", f"/api/v2/deals/{with_products[0]}/products")
        for field_entity, path in FIELD_PATHS.items():
            self.call("GET", f"/api/v2{path}", {"limit": 500})
            for definition in _one_field_per_type(sim, field_entity):
                self.call("GET", f"/api/v2{path}/{definition['field_code']}")
            self.call("GET", f"/api/v2{path}/nope", expect=404)

    def v2_writes(self) -> None:
        for entity, (create, change) in WRITE_BODIES.items():
            path = f"/api/v2{ENTITY_PATHS[entity]}"
            created = self.call("POST", path, body=create)
            new_id = created["data"]["id"]
            self.call("PATCH", f"{path}/{new_id}", body=change)
            self.call("DELETE", f"{path}/{new_id}")
        self.call("POST", "/api/v2/deals", body={"value": 5}, expect=400)
        deal_id = _first_id(self.sim, "deals")
        attachment = {"product_id": _first_id(self.sim, "products"), "item_price": 10, "quantity": 2}
        added = self.call("POST", f"/api/v2/deals/{deal_id}/products", body=attachment)
        attachment_path = f"/api/v2/deals/{deal_id}/products/{added['data']['id']}"
        self.call("PATCH", attachment_path, body={"quantity": 3})
        self.call("DELETE", attachment_path)
        for field_entity, path in FIELD_PATHS.items():
            if field_entity == "activity_fields":
                continue  # read-only in v2
            new_field = {"field_name": "Conformance enum", "field_type": "enum", "options": [{"label": "A"}]}
            created = self.call("POST", f"/api/v2{path}", body=new_field)["data"]
            base = f"/api/v2{path}/{created['field_code']}"
            option_id = created["options"][0]["id"]
            self.call("PATCH", base, body={"field_name": "Conformance enum, renamed"})
            self.call("POST", f"{base}/options", body=[{"label": "B"}, {"label": "C"}])
            self.call("PATCH", f"{base}/options", body=[{"id": option_id, "label": "A2"}])
            self.call("DELETE", f"{base}/options", body=[{"id": option_id}])
            self.call("DELETE", base)

    def v1_reads(self) -> None:
        sim = self.sim
        for path in (
            "/users",
            "/users/me",
            "/users/2",
            "/activityTypes",
            "/currencies",
            "/leadLabels",
            "/leadFields",
        ):
            self.call("GET", f"/v1{path}")
        self.call("GET", "/v1/users/999999", expect=404)
        for path in ("/leads", "/leads/archived", "/notes", "/deals/archived"):
            self.call("GET", f"/api/v1{path}", {"limit": 5})
        self.call("GET", f"/v1/leads/{sim.truth('leads')[0]['id']}")
        self.call("GET", "/v1/leads/00000000-0000-4000-8000-000000000000", expect=404)
        self.call("GET", f"/v1/notes/{sim.truth('notes')[0]['id']}")
        self.call("GET", "/v1/recents", {"since_timestamp": "2000-01-01 00:00:00", "limit": 500})
        self.call("GET", "/v1/recents", expect=400)
        for path in FIELD_PATHS.values():
            fields = self.call("GET", f"/v1{path}")["data"]
            if path != "/activityFields":  # v1 has no single activity field endpoint
                custom = next((item for item in fields if item["edit_flag"]), fields[-1])
                self.call("GET", f"/api/v1{path}/{custom['id']}")
        for entity in INCREMENTAL:
            path = ENTITY_PATHS[entity]
            params = {"limit": 5, "user_id": 0} if entity == "activities" else {"limit": 5}
            self.call("GET", f"/v1{path}", params)
            self.call("GET", f"/api/v1{path}/{_first_id(sim, entity)}")

    def history_and_work_items(self) -> None:
        """Deal changelogs, projects, tasks, boards, phases, project fields, installments,
        variations, call logs, goals and lead sources."""
        sim = self.sim
        deal_id = _first_id(sim, "deals")
        sim.update("deals", deal_id, {"value": 4321, "stage_id": sim.truth("stages")[-1]["id"]})
        first = self.call("GET", f"/v1/deals/{deal_id}/changelog", {"limit": 1})
        self.call(
            "GET", f"/v1/deals/{deal_id}/changelog", {"cursor": first["additional_data"]["next_cursor"]}
        )
        for path in ("/projects", "/projects/archived", "/tasks", "/projectFields"):
            self.call("GET", f"/api/v2{path}", {"limit": 3})
        for entity, path in (("projects", "/projects"), ("tasks", "/tasks"), ("boards", "/boards")):
            self.call("GET", f"/api/v2{path}/{_first_id(sim, entity)}")
        self.call("GET", "/api/v2/boards")
        self.call("GET", "/api/v2/phases", {"board_id": 1})
        self.call("GET", f"/api/v2/phases/{_first_id(sim, 'phases')}")
        self.call("GET", f"/api/v2/projectFields/{sim.fields('project_fields')[-1]['field_code']}")
        with_installments = sorted({row["deal_id"] for row in sim.truth("deal_installments")})[:5]
        self.call("GET", "/api/v2/deals/installments", {"deal_ids": ",".join(map(str, with_installments))})
        product_id = sim.truth("product_variations")[0]["product_id"]
        self.call("GET", f"/api/v2/products/{product_id}/variations")
        calls = self.call("GET", "/v1/callLogs", {"limit": 3})["data"]
        self.call("GET", f"/v1/callLogs/{calls[0]['id']}")
        self.call("GET", "/v1/goals/find")
        self.call("GET", "/v1/goals/find", {"is_active": "false"})
        self.call("GET", "/v1/leadSources")

    def collaboration_reads(self) -> None:
        """Note fields, filters, files, a deal's flow and participants, followers, recents paging,
        the deprecated v1 pipelines, stages and deal products, and a literal path not served."""
        sim = self.sim
        self.call("GET", "/v1/noteFields")
        self.call("GET", "/v1/filters")
        self.call("GET", "/v1/filters", {"type": "deals"})
        files = self.call("GET", "/v1/files", {"limit": 2})
        self.call(
            "GET", "/v1/files", {"start": files["additional_data"]["pagination"]["next_start"], "limit": 2}
        )
        busy = max(
            sim.truth("deals"),
            key=lambda deal: sum(1 for f in sim.truth("files") if f["deal_id"] == deal["id"]),
        )
        first = self.call("GET", f"/v1/deals/{busy['id']}/flow", {"limit": 3})
        next_start = first["additional_data"]["pagination"].get("next_start")
        self.call("GET", f"/v1/deals/{busy['id']}/flow", {"start": next_start or 0, "all_changes": "1"})
        self.call("GET", f"/v1/deals/{busy['id']}/flow", {"items": "dealChange,file"})
        for deal_id in {busy["id"], sim.truth("deal_participants")[-1]["deal_id"]}:
            self.call("GET", f"/v1/deals/{deal_id}/participants")
        with_products = sim.truth("deal_products")[0]["deal_id"]
        self.call("GET", f"/v1/deals/{with_products}/products")
        self.call("GET", f"/api/v1/deals/{with_products}/products", {"include_product_data": 1})
        self.call("GET", "/v1/pipelines")
        self.call("GET", "/v1/stages", {"pipeline_id": 1})
        for entity in ("deals", "persons", "organizations", "products"):
            followed = sim.truth("followers")
            item_type = {"deals": "deal", "persons": "person", "organizations": "organization"}.get(
                entity, "product"
            )
            record_id = next(row["item_id"] for row in followed if row["item_type"] == item_type)
            page = self.call("GET", f"/api/v2/{entity}/{record_id}/followers", {"limit": 1})
            if page["additional_data"]["next_cursor"]:
                self.call(
                    "GET",
                    f"/api/v2/{entity}/{record_id}/followers",
                    {"cursor": page["additional_data"]["next_cursor"]},
                )
        recents = self.call("GET", "/v1/recents", {"since_timestamp": "2000-01-01 00:00:00", "limit": 2})
        next_start = recents["additional_data"]["pagination"]["next_start"]
        self.call(
            "GET", "/v1/recents", {"since_timestamp": "2000-01-01 00:00:00", "start": next_start, "limit": 2}
        )
        self.call("GET", "/v1/deals/search", {"term": "x"}, expect=404)  # not served: not Deal 'search'

    def auth_errors(self) -> None:
        self.call("GET", "/api/v2/deals", token=NO_TOKEN, expect=401)
        self.call("GET", "/api/v2/persons/1", token=WRONG_TOKEN, expect=401)
        self.call("GET", "/v1/users/me", token=WRONG_TOKEN, expect=401)
        self.call("GET", "/api/v1/leads", token=NO_TOKEN, expect=401)
        self.call("GET", "/api/v2/no-such-endpoint", expect=404)

    def unexercised_routes(self) -> list[str]:
        """Routes the simulator serves that no call reached (v1 counts under either prefix)."""
        router = self.sim.server.router
        served = {route.name for route in [*router.routes, *getattr(router, "_literal", {}).values()]}
        hit = set(self.sim.stats["endpoints"])
        normalise = lambda name: name.replace(" /api/v1/", " /v1/")  # noqa: E731
        hit_names = {normalise(name) for name in hit}
        return sorted({normalise(name) for name in served} - hit_names)


def _first_id(sim, entity: str) -> int:
    return next(record["id"] for record in sim.truth(entity) if not record.get("is_deleted"))


def _one_field_per_type(sim, field_entity: str) -> list[dict]:
    seen: dict[tuple[str, bool], dict] = {}
    for definition in sim.fields(field_entity):
        seen.setdefault((definition["field_type"], definition["is_custom_field"]), definition)
    return list(seen.values())


def rate_limit_outcomes(checker: Checker) -> list[Outcome]:
    """Burst past the limit of a rate-limited simulator: the 429 body and its headers."""
    with Simulator.start(seed=2, counts=SMALL_COUNTS, plan="lite", burst_limit=3, strict=True) as sim:
        session = requests.Session()
        session.headers["x-api-token"] = sim.token
        responses = [session.get(f"{sim.base_url}/api/v2/pipelines", timeout=30) for _ in range(6)]
    limited = next((response for response in responses if response.status_code == 429), responses[-1])
    outcome = checker.check("GET", "/api/v2/pipelines", 429, limited)
    missing = [name for name in RATE_LIMIT_HEADERS if name not in {key.lower() for key in limited.headers}]
    outcome.problems += [f"rate-limit header {name} missing (notes §6)" for name in missing]
    ok_headers = {key.lower() for key in responses[0].headers}
    first = checker.check("GET", "/api/v2/pipelines", 200, responses[0])
    first.problems += [f"rate-limit header {name} missing (notes §6)" for name in RATE_LIMIT_HEADERS[:3]
                       if name not in ok_headers]  # fmt: skip
    return [first, outcome]


RATE_LIMIT_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after")
SMALL_COUNTS = {
    "users": 4,
    "pipelines": 2,
    "organizations": 12,
    "persons": 20,
    "products": 6,
    "deals": 40,
    "deal_products": 12,
    "activities": 20,
    "leads": 12,
    "notes": 8,
}


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def summarise(outcomes: list[Outcome], unexercised: list[str]) -> tuple[list[str], bool]:
    rows: dict[tuple[str, int], list[Outcome]] = {}
    for outcome in outcomes:
        rows.setdefault((outcome.endpoint, outcome.status), []).append(outcome)
    lines = [_row("endpoint", "status", "calls", "result", "nulls", "exkeys", "schema / first errors")]
    all_ok = True
    for (endpoint, status), group in sorted(rows.items()):
        failures = [outcome for outcome in group if not outcome.ok]
        unchecked = all(outcome.source == "no schema" for outcome in group)
        verdict = "FAIL" if failures else "n/a" if unchecked else "pass"
        all_ok &= not failures
        nulls = sum(len(outcome.result.tolerated_nulls) for outcome in group)
        example_keys = sum(len(outcome.result.example_keys) for outcome in group)
        detail = group[0].source
        if failures:
            errors = [*failures[0].problems, *failures[0].result.errors]
            detail += " | " + " ; ".join(errors[:3])
        lines.append(_row(endpoint, status, len(group), verdict, nulls, example_keys, detail))
    for name in unexercised:
        all_ok = False
        lines.append(_row(name, "-", 0, "FAIL", "", "", "served but never called"))
    checked = sum(1 for outcome in outcomes if outcome.source != "no schema")
    failed = sum(1 for outcome in outcomes if not outcome.ok)
    lines.append(
        f"\n{len(outcomes)} responses, {checked} validated, {failed} failed, {len(unexercised)} unexercised"
    )
    return lines, all_ok


def _row(endpoint, status, calls, verdict, nulls, example_keys, detail) -> str:
    return f"{endpoint[:58]:58} {status:>6} {calls:>5} {verdict:6} {nulls:>5} {example_keys:>6}  {detail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference", type=Path, help="folder with pipedrive-v1/v2-openapi.yml")
    parser.add_argument(
        "--no-example-keys",
        action="store_true",
        help="also fail on undeclared keys that the operation's own example shows",
    )
    args = parser.parse_args(argv)
    specs = [
        load_spec(
            args.reference / "pipedrive-v2-openapi.yml", "v2", ("/api/v2",), ("date-time", "date", "uuid")
        ),
        load_spec(args.reference / "pipedrive-v1-openapi.yml", "v1", ("/v1", "/api/v1"), ("date", "uuid")),
    ]
    checker = Checker(specs, load_reference_schemas(args.reference), trust_examples=not args.no_example_keys)
    with Simulator.start(seed=1, counts=SMALL_COUNTS, strict=True) as sim:
        run = Run(sim, checker)
        run.v2_reads()
        run.v1_reads()
        run.history_and_work_items()
        run.collaboration_reads()
        run.v2_writes()
        run.auth_errors()
        unexercised = run.unexercised_routes()
        outcomes = run.outcomes
    outcomes += rate_limit_outcomes(checker)
    lines, all_ok = summarise(outcomes, unexercised)
    print("\n".join(lines))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
