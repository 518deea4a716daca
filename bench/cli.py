"""`python -m bench [--scenario NAME ...] [--quick] [--repeats N]`: run the scenarios, rewrite the report."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import click

from bench import scenarios
from bench.report import render

DEFAULT_REPORT = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


@click.command()
@click.option(
    "--scenario",
    "names",
    multiple=True,
    type=click.Choice(list(scenarios.SCENARIOS)),
    help="Run only these scenarios (repeatable). Default: all.",
)
@click.option("--quick", is_flag=True, help="Small accounts, one repeat: for iterating.")
@click.option("--smoke", is_flag=True, hidden=True, help="Tiny accounts (the smoke test).")
@click.option("--repeats", type=int, default=None, help="Override the number of repeats.")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Report path (default: BENCHMARKS.md for a full run, stdout-only summary otherwise).",
)
def main(names: tuple[str, ...], quick: bool, smoke: bool, repeats: int | None, output: Path | None) -> None:
    """Benchmark our sync against a dlt rest_api baseline and a fetch-and-parse floor."""
    mode = "smoke" if smoke else "quick" if quick else "full"
    if repeats:
        scenarios.MODES[mode] = dataclasses.replace(scenarios.MODES[mode], repeats=repeats)
    if output is None and mode == "full" and not names:
        output = DEFAULT_REPORT
    started = time.perf_counter()
    results = scenarios.run_scenarios(
        mode, list(names) or None, progress=lambda line: click.echo(line, err=True)
    )
    report = render(results, mode)
    for result in results:
        for check in result.checks:
            verdict = {True: "met", False: "MISSED", None: "-"}[check.met]
            click.echo(f"{result.title}: {check.target}: {check.result} [{verdict}]")
    if output:
        output.write_text(report, encoding="utf-8")
        click.echo(f"wrote {output} in {time.perf_counter() - started:.0f} s")
