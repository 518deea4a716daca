"""The simulator in a process of its own, so a measured sync's CPU time and memory are its own.

The parent talks to the child over stdin/stdout, one JSON object per line: the child answers
each command with `{"ok": ...}` or `{"error": "..."}`.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token-0123456789"
PAGE_SIZE = 500
DEAL_IDS_PER_REQUEST = 100
SINGLE_PAGE_ENTITIES = {
    "users", "currencies", "activity_types", "lead_labels",
    "deal_fields", "person_fields", "organization_fields", "product_fields", "activity_fields",
}  # fmt: skip
# A field each record entity has, and how to change it so that `update_time` moves.
CHANGE_FIELDS = {
    "deals": "title",
    "persons": "name",
    "organizations": "name",
    "activities": "subject",
    "products": "name",
    "notes": "content",
    "leads": "title",
}


class SimulatorProcess:
    """Parent side: start with `SimulatorProcess(counts=..., plan=..., latency_ms=...)`, then call."""

    def __init__(self, counts: dict[str, int], seed: int = 1, plan: str | None = None, latency_ms: float = 0):
        settings = {"counts": counts, "seed": seed, "plan": plan, "latency_ms": latency_ms, "token": TOKEN}
        from simulator.control import Simulator

        settings["strict"] = Simulator.default_strict  # strict like this process's (the tests': on)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.simulator_process", json.dumps(settings)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            cwd=REPO_ROOT,
        )
        ready = self._read()
        self.base_url: str = ready["base_url"]
        self.token: str = TOKEN
        self.generated_s: float = ready["generated_s"]

    def call(self, command: str, **arguments: Any) -> Any:
        self._process.stdin.write(json.dumps({"command": command, **arguments}) + "\n")
        return self._read()

    def stats(self) -> dict:
        return self.call("stats")

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()
            self._process.wait(timeout=30)

    def __enter__(self) -> SimulatorProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _read(self) -> Any:
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"simulator process ended (exit code {self._process.poll()})")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"simulator process: {answer['error']}")
        return answer["ok"] if "ok" in answer else answer


def _expected_pages(sim, entities: list[str]) -> dict[str, int]:
    """The fewest requests that can read `entities` whole: ceil(rows / 500) per list endpoint (at
    least one), one per unpaginated list, one per 100 deals that have products (`deal_ids` cap)."""
    pages = {}
    for entity in entities:
        if entity in SINGLE_PAGE_ENTITIES:
            pages[entity] = 1
        elif entity in ("deals", "leads"):
            records = sim.truth(entity)
            archived = sum(bool(record.get("is_archived")) for record in records)
            pages[entity] = _pages(len(records) - archived, PAGE_SIZE)
            pages[f"{entity}/archived"] = _pages(archived, PAGE_SIZE)
            if entity == "deals":  # only deals that have products need asking (`products_count`)
                with_products = {item["deal_id"] for item in sim.truth("deal_products")}
                pages["deals/products"] = -(-len(with_products) // DEAL_IDS_PER_REQUEST)
        else:
            pages[entity] = _pages(sim.count(entity), PAGE_SIZE)
    return pages


def _pages(rows: int, page_size: int) -> int:
    return max(1, -(-rows // page_size))


def _change_share(sim, share: float, entities: list[str], seed: int) -> dict[str, int]:
    """Update `share` of the live records of each entity over the minute after the last sync, a
    few each second as users would (all in one second would make every change share the cursor's
    second, which the next run re-reads on purpose)."""
    sim.advance(1)
    rng = random.Random(seed)
    picks = []
    for entity in entities:
        live = [
            record for record in sim.truth(entity, include_deleted=False) if not record.get("is_archived")
        ]
        picks += [
            (entity, record)
            for record in (rng.sample(live, max(1, round(len(live) * share))) if live else [])
        ]
    rng.shuffle(picks)
    per_second = max(1, -(-len(picks) // 60))
    changed = dict.fromkeys(entities, 0)
    for index, (entity, record) in enumerate(picks):
        if index and index % per_second == 0:
            sim.advance(1)
        field = CHANGE_FIELDS[entity]
        sim.update(entity, record["id"], {field: f"{record.get(field) or ''} (changed)"})
        changed[entity] += 1
    sim.advance(1)
    return changed


def _serve(settings: dict) -> None:
    import time

    from simulator.control import Simulator

    started = time.perf_counter()
    with Simulator.start(
        seed=settings["seed"],
        counts=settings["counts"],
        token=settings["token"],
        plan=settings["plan"],
        latency_ms=settings["latency_ms"],
        strict=settings["strict"],
    ) as sim:
        recording: list[dict] | None = None

        def record(info) -> None:
            if recording is not None and info.method == "GET":
                recording.append({"path": info.path, "query": dict(info.query)})

        sim.on_request(record)
        _answer({"base_url": sim.base_url, "generated_s": time.perf_counter() - started})
        for line in sys.stdin:
            request = json.loads(line)
            command = request.pop("command")
            try:
                if command == "stats":
                    result = sim.stats
                elif command == "pages":
                    result = _expected_pages(sim, request["entities"])
                elif command == "change_share":
                    result = _change_share(sim, request["share"], request["entities"], request.get("seed", 7))
                elif command == "record":
                    recording, result = [], True
                elif command == "recorded":
                    result, recording = recording or [], None
                elif command == "advance":
                    result = sim.advance(request["seconds"])
                elif command == "count":
                    result = {entity: sim.count(entity) for entity in request["entities"]}
                else:
                    raise ValueError(f"unknown command {command!r}")
            except Exception as error:  # reported to the parent, which raises it
                _answer({"error": f"{type(error).__name__}: {error}"}, wrap=False)
                continue
            _answer(result)


def _answer(value: Any, wrap: bool = True) -> None:
    sys.stdout.write(json.dumps({"ok": value} if wrap else value) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
