"""Check the simulator's responses against Pipedrive's official OpenAPI specs.

Usage: python scripts/check_conformance.py PATH/TO/reference-folder

The folder must hold `pipedrive-v2-openapi.yml` and `pipedrive-v1-openapi.yml`. The script
starts a small seeded simulator with every custom-field type, calls every endpoint it
serves (v2 and v1: lists, get-one, writes, fields, archived, deal products, errors) and
validates each response body against the response schema of the matching operation.

Strictness: types, required properties, enums and shapes must match; extra properties
are errors unless the schema allows them (free-form objects, `additionalProperties`, or
v1 custom-field keys, which the spec describes but cannot list). The one tolerance is a
null where the spec forgot `nullable` (see the API notes, section 8); those are counted
and shown, not failed. This is a developer tool: the test suite never needs the specs.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

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


def _close_object(schema: dict) -> None:
    """Declared properties are the only ones allowed, unless the spec opened the object."""
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


def validate(
    instance: Any, schema: dict, checker: jsonschema.FormatChecker | None = None
) -> ValidationResult:
    """Validate against a converted schema; undeclared nulls are tolerated but reported."""
    validator = jsonschema.Draft202012Validator(schema, format_checker=checker)
    result = ValidationResult()
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        if _is_undeclared_null(error):
            result.tolerated_nulls.append(_path(error))
            continue
        result.errors.append(f"{_path(error)}: {_describe(error)}")
    return result


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

    def spec_path(self, url_path: str) -> str | None:
        for prefix in self.prefixes:
            if url_path.startswith(prefix + "/"):
                relative = url_path[len(prefix) :]
                for pattern, _, path in self._templates:
                    if pattern.match(relative):
                        return path
        return None

    def operation(self, method: str, url_path: str) -> tuple[str, dict] | None:
        path = self.spec_path(url_path)
        if path is None:
            return None
        operation = self.document["paths"][path].get(method.lower())
        return (path, operation) if operation else None

    def response_schema(self, operation: dict, status: int) -> dict | None:
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
        return to_json_schema(media["schema"], self.document)

    @staticmethod
    def declared_headers(operation: dict, status: int) -> dict[str, dict]:
        response = operation.get("responses", {}).get(str(status), {})
        return response.get("headers", {})


def load_spec(path: Path, name: str, prefixes: tuple[str, ...], formats: tuple[str, ...]) -> Spec:
    with path.open("rb") as handle:
        document = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return Spec(name=name, document=document, prefixes=prefixes, formats=formats)
