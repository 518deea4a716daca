"""The table of docs/scheduling.md: the shortest safe interval per plan and seats, computed from the
tokens a run measurably costs. `make bench` (scenario `frugal`) rewrites it between its markers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "scheduling.md"
START, END = "<!-- scheduling-table:start -->", "<!-- scheduling-table:end -->"
BASE_DAILY_TOKENS = 30_000
PLANS = {"Lite": 1, "Growth": 2, "Premium": 5, "Ultimate": 7}
SEATS = (1, 3, 10, 30)
INTERVALS_MIN = (1, 2, 5, 10, 15, 20, 30, 60, 120, 240)
# Safe: the sync polling an unchanged account spends at most this share of the daily budget, which
# leaves the rest to the changes themselves and to the account's other integrations.
SAFE_SHARE = 0.5


@dataclass(frozen=True)
class RunCosts:
    """Tokens of the three kinds of scheduled run on an account where nothing changes."""

    no_op: int  # nothing new: the probe and the lists it cannot vouch for
    refresh: int  # once per `slow_refresh_minutes`: the reference lists the probe cannot see, too
    daily: int  # once per 24 intervals (a day): every list
    refresh_min: float = 60


def daily_tokens(interval_min: int, costs: RunCosts) -> float:
    """Tokens a day of runs every `interval_min` costs while nothing changes."""
    runs = 24 * 60 / interval_min
    refreshes = min(runs, 24 * 60 / max(costs.refresh_min, interval_min))
    return runs * costs.no_op + (refreshes - 1) * (costs.refresh - costs.no_op) + (costs.daily - costs.no_op)


def shortest_safe_interval(budget: int, costs: RunCosts) -> int | None:
    for interval in INTERVALS_MIN:
        if daily_tokens(interval, costs) <= SAFE_SHARE * budget:
            return interval
    return None


def table(costs: RunCosts) -> str:
    header = "| plan | " + " | ".join(f"{seats} seat{'s' if seats > 1 else ''}" for seats in SEATS) + " |"
    lines = [header, "|---|" + "---:|" * len(SEATS)]
    for plan, multiplier in PLANS.items():
        cells = []
        for seats in SEATS:
            interval = shortest_safe_interval(BASE_DAILY_TOKENS * multiplier * seats, costs)
            cells.append(_interval_text(interval) if interval else f"> {INTERVALS_MIN[-1] // 60} h")
        lines.append(f"| {plan} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _interval_text(minutes: int) -> str:
    return f"{minutes // 60} h" if minutes >= 60 else f"{minutes} min"


def section(costs: RunCosts, measured_on: str) -> str:
    every_15 = daily_tokens(15, costs)
    return "\n".join(
        [
            START,
            f"Measured by `make bench` ({measured_on}): a run that finds nothing new costs "
            f"**{costs.no_op} tokens**; once per `slow_refresh_minutes` ({costs.refresh_min:g}) a run also "
            f"re-reads the reference lists ({costs.refresh} tokens), once a day every list ({costs.daily}). "
            f"Every 15 minutes that is about {every_15:,.0f} tokens a day while nothing changes. Each "
            "change costs its pages on top (a v2 page of up to 500 records 10 tokens, v1 20, deal "
            "products 10 per 100 changed deals).",
            "",
            f"The shortest interval at which polling an unchanged account spends at most {SAFE_SHARE:.0%} "
            "of the daily budget (30,000 x plan x seats), leaving the rest to the changes and to the "
            "account's other integrations:",
            "",
            table(costs),
            END,
        ]
    )


def rewrite_doc(costs: RunCosts, measured_on: str, doc: Path = DOC) -> None:
    text = doc.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"{doc} lacks the markers {START} ... {END}")
    new = section(costs, measured_on)
    doc.write_text(pattern.sub(lambda match: new, text), encoding="utf-8")
