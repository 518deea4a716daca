"""Pipedrive's official OpenAPI specs as a request contract, for the test suite.

The specs are not part of the project (a user who clones it has no `../shared`): they are found
through `PIPEDRIVE_SPECS_DIR`, else in `shared/reference` beside the repository (or a folder above
it). Without them, the checks that need them skip with `SPECS_MISSING`; CI always has them.

What a request must satisfy: its path is a declared operation, each query parameter is declared
for it (`api_token` aside), and each value of a parameter with an enum is in range (comma lists
and `field ASC` sort lists where the parameter's description says so, as `simulator.contract`
reads them). The deprecated v1 list endpoints, gone from the published v1 spec, are a documented
exception: they are checked against their last documented parameters in the v1 reference
(`docs/001_*.txt`).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from simulator.contract import DEPRECATED_V1, Param, value_error

REPO = Path(__file__).resolve().parents[1]
SPEC_FILES = {"v1": "pipedrive-v1-openapi.yml", "v2": "pipedrive-v2-openapi.yml"}
SPECS_MISSING = (
    "official Pipedrive specs not found: set PIPEDRIVE_SPECS_DIR to a folder holding "
    "pipedrive-v1-openapi.yml and pipedrive-v2-openapi.yml (CI has them in ../shared/reference)"
)
PREFIXES = (("/api/v2", "v2"), ("/api/v1", "v1"), ("/v1", "v1"))
METHODS = ("get", "post", "put", "patch", "delete")
REFERENCE_TYPES = {"INTEGER", "STRING", "NUMBER", "BOOLEAN", "ARRAY", "OBJECT"}


def specs_dir() -> Path | None:
    """`PIPEDRIVE_SPECS_DIR`, else the first `shared/reference` beside the repo or above it."""
    candidates = [Path(os.environ["PIPEDRIVE_SPECS_DIR"])] if os.environ.get("PIPEDRIVE_SPECS_DIR") else []
    candidates += [parent / "shared" / "reference" for parent in REPO.parents]
    for folder in candidates:
        if all((folder / name).is_file() for name in SPEC_FILES.values()):
            return folder
    return None


def param_form(description: str | None) -> str:
    """How a parameter carries several values, from its description (see `simulator.contract`)."""
    text = (description or "").lower()
    if "sorting mode" in text:
        return "sort"
    if "comma" in text or "multiple selection" in text:
        return "list"
    return "one"


@dataclass(frozen=True)
class Operation:
    method: str
    api: str  # "v1" | "v2"
    path: str  # the spec's template, e.g. "/deals/{id}"
    params: dict[str, Param]
    cost: int | None  # x-token-cost; None for the deprecated endpoints (no longer published)
    source: str  # "v1 spec", "v2 spec" or "docs/001 (deprecated)"

    @property
    def route(self) -> str:
        """The simulator's route name for this operation, e.g. `GET /api/v2/deals/{id}`."""
        prefix = "/api/v2" if self.api == "v2" else "/v1"
        return f"{self.method} {prefix}{self.path}"


class Contract:
    def __init__(self, operations: Iterable[Operation]) -> None:
        self.operations = {(op.method, op.api, op.path): op for op in operations}
        # fewest placeholders first: a literal path (`/deals/search`) wins over `/deals/{id}`
        self._templates = sorted(
            ((op.path.count("{"), _template_regex(op.path), op) for op in self.operations.values()),
            key=lambda item: item[0],
        )
        self._found: dict[tuple[str, str], Operation | None] = {}

    def find(self, method: str, url_path: str) -> Operation | None:
        """The operation a request reaches, or None when no spec declares it."""
        key = (method, url_path)
        if key not in self._found:
            self._found[key] = self._find(method, url_path)
        return self._found[key]

    def _find(self, method: str, url_path: str) -> Operation | None:
        split = _split_prefix(url_path)
        if split is None:
            return None
        api, relative = split
        for _, pattern, op in self._templates:
            if op.method == method and op.api == api and pattern.match(relative):
                return op
        return None

    def violations(self, method: str, url_path: str, query: dict[str, list[str]]) -> list[str]:
        """Why a request is off-spec (empty when it is on-spec)."""
        op = self.find(method, url_path)
        if op is None:
            return [f"{method} {url_path}: not an operation of the official specs"]
        problems = []
        for name, values in sorted(query.items()):
            if name == "api_token":
                continue
            param = op.params.get(name)
            if param is None:
                problems.append(
                    f"{method} {url_path}: query parameter {name!r} is not declared ({op.source})"
                )
                continue
            for value in values:
                error = value_error(param, value)
                if error:
                    problems.append(f"{method} {url_path}: {name}={value!r}: {error} ({op.source})")
        return problems


def _template_regex(path: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "/?$")


def _split_prefix(url_path: str) -> tuple[str, str] | None:
    """("v1" | "v2", the path below the API prefix)."""
    for prefix, api in PREFIXES:
        if url_path.startswith(prefix + "/"):
            return api, url_path[len(prefix) :]
    return None


def _resolve(document: dict, node: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        target: object = document
        for part in node["$ref"][2:].split("/"):
            target = target[part]  # type: ignore[index]
        node = target  # type: ignore[assignment]
    return node


def spec_operations(document: dict, api: str) -> list[Operation]:
    operations = []
    for path, item in document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = {}
            for raw in [*shared, *op.get("parameters", [])]:
                param = _resolve(document, raw)
                if param.get("in") != "query":
                    continue
                schema = _resolve(document, param.get("schema", {}))
                values = tuple(str(value) for value in schema.get("enum", ()))
                params[param["name"]] = Param(values, param_form(param.get("description")))
            operations.append(
                Operation(method.upper(), api, path, params, op.get("x-token-cost"), f"{api} spec")
            )
    return operations


def reference_params(text: str, method: str, path: str) -> dict[str, Param] | None:
    """Query parameters of `METHOD /v1/path` in the v1 reference text (docs/001), or None when the
    reference does not document the endpoint. Layout: name line, TYPE line, description lines,
    optional `DEFAULT...`, optional `VALUES` followed by one value a line, until `Response`."""
    lines = text.splitlines()
    heads = {f"{method}/v1{path}", f"{method} /v1{path}"}
    try:
        start = next(index for index, line in enumerate(lines) if line.strip() in heads)
    except StopIteration:
        return None
    params: dict[str, Param] = {}
    name, description, values, in_query, in_values = None, "", [], False, False

    def close() -> None:
        if name is not None and in_query:
            params[name] = Param(tuple(values), param_form(description))

    for index in range(start + 1, len(lines)):
        line = lines[index].strip()
        if line == "Response" or line.startswith("===="):
            break
        if line in ("Query parameters", "Path parameters", "Body parameters"):
            close()
            name, description, values, in_values = None, "", [], False
            in_query = line == "Query parameters"
            continue
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if re.fullmatch(r"[a-z_][a-z0-9_.]*", line) and following in REFERENCE_TYPES:
            close()
            name, description, values, in_values = line, "", [], False
        elif line == "VALUES":
            in_values = True
        elif in_values and line:
            values.append(line)
        elif not line:
            in_values = False
        elif name is not None and line not in REFERENCE_TYPES and not line.startswith("DEFAULT"):
            description += " " + line
    close()
    return params


def deprecated_operations(folder: Path) -> list[Operation]:
    """The deprecated v1 endpoints the sync may use, with their last documented parameters; one
    the reference does not document (e.g. `/pipelines`) is taken to have none."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(folder.glob("docs/001_*.txt"))]
    operations = []
    for method, path in DEPRECATED_V1:
        found = next((p for p in (reference_params(t, method, path) for t in texts) if p is not None), None)
        operations.append(Operation(method, "v1", path, found or {}, None, "docs/001 (deprecated)"))
    return operations


@functools.lru_cache(maxsize=1)
def load_contract() -> Contract | None:
    """Every operation of both specs plus the deprecated v1 lists; None without the specs."""
    folder = specs_dir()
    if folder is None:
        return None
    operations: list[Operation] = []
    for api, name in SPEC_FILES.items():
        with (folder / name).open("rb") as handle:
            document = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        operations += spec_operations(document, api)
    published = {(op.method, op.path) for op in operations if op.api == "v1"}
    operations += [op for op in deprecated_operations(folder) if (op.method, op.path) not in published]
    return Contract(operations)


def off_spec(served: Iterable) -> list[str]:
    """Why each logged request (`simulator.server.ServedRequest`) is off-spec, one line per distinct
    problem; [] without the specs."""
    served = list(served)
    contract = load_contract() if served else None
    if contract is None:
        return []
    problems: dict[str, None] = {}
    for request in served:
        problems.update(dict.fromkeys(contract.violations(request.method, request.path, request.query)))
    return list(problems)
