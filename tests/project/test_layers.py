"""Imports only run down: the CLI (`pipelines/`) may use every part, no part imports `pipelines/`,
and `shared/` imports none of them. Checked on every `import` statement, lazy ones included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shared", "simulator", "sources", "transforms", "report", "pipelines", "bench")
# package -> the other project packages it may import
MAY_IMPORT = {
    "shared": set(),
    "simulator": {"shared"},
    "sources": {"shared"},
    "transforms": {"shared"},
    "report": {"shared"},
    "pipelines": {"shared", "simulator", "sources", "transforms", "report"},
    "bench": {"shared", "simulator", "sources", "transforms", "report", "pipelines"},
}


def project_imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import of a project package in one module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, name.split(".")[0]) for name in names if name.split(".")[0] in PACKAGES]
    return found


def upward_imports(package: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, imported in project_imports(path)
        if imported != package and imported not in MAY_IMPORT[package]
    ]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_package_imports_upwards(package):
    assert upward_imports(package) == []


def test_every_top_level_package_has_a_rule():
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages == set(PACKAGES)


def test_the_checker_sees_lazy_and_dotted_imports(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "import os\ndef later():\n    import pipelines.sync\n    from sources.pipedrive import x\n"
    )
    assert project_imports(module) == [(3, "pipelines"), (4, "sources")]
