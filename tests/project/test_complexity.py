"""No function in the project is graded D or worse by radon's cyclomatic complexity (21 and up):
split it into named steps instead."""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_rank, cc_visit

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {".venv", ".git", "node_modules", "build"}


def python_files() -> list[Path]:
    return [
        path
        for path in sorted(ROOT.rglob("*.py"))
        if not SKIPPED & set(path.relative_to(ROOT).parts) and not path.parts[-2].endswith(".egg-info")
    ]


def test_no_function_is_graded_d_or_worse():
    too_complex = [
        f"{path.relative_to(ROOT)}:{block.lineno} {block.fullname} ({block.complexity})"
        for path in python_files()
        for block in cc_visit(path.read_text(encoding="utf-8"))
        if cc_rank(block.complexity) in "DEF"
    ]
    assert too_complex == []
