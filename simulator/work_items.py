"""Generation of the entities beyond the CRM core: projects (boards, phases, project fields,
tasks), deal installments, product variations, call logs, goals and lead sources.

Deterministic per seed, small by default (projects and call logs scale with `counts`), linked to
the core records generated before them.
"""

from __future__ import annotations

import random

from simulator import vocab
from simulator.clock import SECONDS_PER_DAY, day, iso
from simulator.fields import field_hash, make_field, option

BOARDS = (
    ("Delivery", ("Kick-off", "In progress", "Review", "Done")),
    ("Onboarding", ("Welcome", "Setup", "Training")),
)
PROJECT_CUSTOM_FIELDS = (
    ("Region", "enum", ("North", "South", "East", "West")),
    ("Budget", "monetary", None),
    ("Title", "varchar", None),  # named like a built-in column
    ("Go-live", "date", None),
    ("Work streams", "set", ("Data", "Training", "Integration")),
)
PROJECT_BUILTIN_FIELDS = (
    ("id", "ID", "int"),
    ("title", "Title", "varchar"),
    ("owner_id", "Owner", "user"),
    ("board_id", "Board", "projects_board"),
    ("phase_id", "Phase", "projects_phase"),
    ("status", "Status", "status"),
    ("start_date", "Start date", "date"),
    ("end_date", "End date", "date"),
)
CALL_OUTCOMES = ("connected", "no_answer", "left_message", "left_voicemail", "wrong_number", "busy")
GOAL_TYPES = ("deals_won", "deals_progressed", "activities_completed", "activities_added", "deals_started")
LEAD_SOURCES = ("Manually created", "Deal", "Web forms", "Prospector", "Leadbooster", "Live chat", "Import")
PROJECT_KINDS = ("rollout", "onboarding", "pilot")
TASK_VERBS = ("Call", "Set up", "Review", "Train")
TASKS_PER_PROJECT = 4
INSTALLMENT_SHARE = 0.1
VARIATION_SHARE = 0.3


def generate_work_items(store, sizes: dict[str, int], now: int, history_seconds: int) -> None:
    """Fill the tables of this module's entities (call with `store.lock` held)."""
    _WorkItems(store, sizes, now, history_seconds).run()


class _WorkItems:
    def __init__(self, store, sizes: dict[str, int], now: int, history_seconds: int) -> None:
        self.store = store
        self.sizes = sizes
        self.now = now
        self.history_seconds = history_seconds

    def rng(self, purpose: str) -> random.Random:
        return random.Random(f"{self.store.seed}:{purpose}")

    def times(self, rng: random.Random) -> tuple[int, int]:
        add = self.now - rng.randrange(SECONDS_PER_DAY, self.history_seconds)
        update = add if rng.random() < 0.4 else add + int((self.now - add) * rng.random())
        return add, update

    def user(self, rng: random.Random) -> int:
        return rng.randint(1, max(1, self.sizes["users"]))

    def some(self, rng: random.Random, entity: str, most: int) -> list[int]:
        size = len(self.store.tables[entity])
        if not size:
            return []
        return sorted({rng.randint(1, size) for _ in range(rng.randint(0, most))})

    def run(self) -> None:
        self.boards_and_phases()
        self.project_fields()
        self.projects()
        self.tasks()
        self.deal_installments()
        self.product_variations()
        self.call_logs()
        self.goals()
        self.store.lead_sources = [{"name": name} for name in LEAD_SOURCES]

    def boards_and_phases(self) -> None:
        rng = self.rng("boards")
        base = self.now - self.history_seconds
        boards, phases = [], []
        for board_id, (name, phase_names) in enumerate(BOARDS, start=1):
            add = base + rng.randrange(SECONDS_PER_DAY)
            boards.append(({"id": board_id, "name": name, "order_nr": board_id}, add, add))
            for order, phase_name in enumerate(phase_names, start=1):
                phase = {"id": len(phases) + 1, "name": phase_name, "board_id": board_id, "order_nr": order}
                phases.append((phase, add, add + rng.randrange(self.history_seconds // 2)))
        self.load("boards", boards)
        self.load("phases", phases)

    def project_fields(self) -> None:
        registry = self.store.fields["project_fields"]
        created = iso(self.now - self.history_seconds)
        for code, name, field_type in PROJECT_BUILTIN_FIELDS:
            registry.add(make_field("project_fields", code, name, field_type, False, None))
        for index, (name, field_type, labels) in enumerate(PROJECT_CUSTOM_FIELDS):
            options = (
                [option(self.store.new_option_id(), label, created) for label in labels] if labels else None
            )
            code = field_hash(self.store.seed, "project_fields", index)
            registry.add(make_field("project_fields", code, name, field_type, True, options))

    def projects(self) -> None:
        rng = self.rng("projects")
        phases = list(self.store.tables["phases"].rows.values())
        custom = self.store.fields["project_fields"].custom()
        rows = []
        for project_id in range(1, self.sizes["projects"] + 1):
            add, update = self.times(rng)
            phase = rng.choice(phases)
            status = rng.choice(("open", "open", "open", "completed", "canceled"))
            archived = rng.random() < 0.15
            start = add + rng.randrange(30 * SECONDS_PER_DAY)
            rows.append(
                (
                    {
                        "id": project_id,
                        "title": f"{rng.choice(vocab.COMPANY_STEMS)} {rng.choice(PROJECT_KINDS)}",
                        "description": None if rng.random() < 0.5 else "Scope agreed in the kick-off call",
                        "status": status,
                        "board_id": phase["board_id"],
                        "phase_id": phase["id"],
                        "owner_id": self.user(rng),
                        "start_date": day(start),
                        "end_date": None
                        if rng.random() < 0.3
                        else day(start + rng.randrange(120 * SECONDS_PER_DAY)),
                        "deal_ids": self.some(rng, "deals", 2),
                        "person_ids": self.some(rng, "persons", 2),
                        "org_ids": self.some(rng, "organizations", 1),
                        "label_ids": [],
                        "health_status": rng.choice((None, "on_track", "at_risk", "off_track")),
                        "status_change_time": iso(add),
                        "archive_time": iso(update) if archived else None,
                        "custom_fields": {
                            field["field_code"]: self.custom_value(rng, field) if rng.random() < 0.6 else None
                            for field in custom
                        },
                    },
                    add,
                    update,
                )
            )
        self.load("projects", rows)

    def custom_value(self, rng: random.Random, field: dict):
        ids = [item["id"] for item in field.get("options") or ()]
        kind = field["field_type"]
        if kind == "enum":
            return rng.choice(ids)
        if kind == "set":
            return sorted(rng.sample(ids, rng.randint(1, len(ids))))
        if kind == "monetary":
            return {"value": round(rng.lognormvariate(8, 1), 2), "currency": "EUR"}
        if kind == "date":
            return day(self.now - rng.randrange(self.history_seconds))
        return f"{rng.choice(vocab.COMPANY_STEMS)} {rng.choice(vocab.DEAL_WORDS)}"

    def tasks(self) -> None:
        rng = self.rng("tasks")
        projects = self.store.tables["projects"]
        rows = []
        for project_id in list(projects.rows):
            first_of_project = None
            for _ in range(rng.randint(0, 2 * TASKS_PER_PROJECT)):
                task_id = len(rows) + 1
                add = max(
                    projects.add_ts[project_id],
                    self.now - rng.randrange(SECONDS_PER_DAY, self.history_seconds),
                )
                update = add if rng.random() < 0.4 else add + int((self.now - add) * rng.random())
                done = rng.random() < 0.5
                rows.append(
                    (
                        {
                            "id": task_id,
                            "title": f"{rng.choice(TASK_VERBS)} {rng.choice(vocab.DEAL_WORDS)}",
                            "description": None,
                            "creator_id": self.user(rng),
                            "project_id": project_id,
                            "is_done": done,
                            "is_milestone": rng.random() < 0.1,
                            "due_date": day(add + rng.randrange(60 * SECONDS_PER_DAY))
                            if rng.random() < 0.7
                            else None,
                            "start_date": None,
                            "parent_task_id": first_of_project
                            if first_of_project and rng.random() < 0.3
                            else None,
                            "assignee_ids": sorted({self.user(rng) for _ in range(rng.randint(0, 2))}),
                            "priority": rng.choice((None, 1, 2, 3)),
                            "marked_as_done_time": iso(update) if done else None,
                        },
                        add,
                        update,
                    )
                )
                first_of_project = first_of_project or task_id
        self.load("tasks", rows)

    def deal_installments(self) -> None:
        rng = self.rng("deal_installments")
        deals = self.store.tables["deals"]
        # installments split the value of a deal's one-time products: only deals with products have them
        with_products = {row["deal_id"] for row in self.store.tables["deal_products"].rows.values()}
        rows = []
        for deal_id in deals.by_id:
            if deal_id not in with_products or rng.random() >= INSTALLMENT_SHARE * 4:
                continue
            deal = deals.rows[deal_id]
            parts = rng.randint(2, 4)
            first = deals.add_ts[deal_id] + rng.randrange(90 * SECONDS_PER_DAY)
            for index in range(parts):
                row = {
                    "id": len(rows) + 1,
                    "amount": round((deal["value"] or 1000) / parts, 2),
                    "billing_date": day(first + index * 30 * SECONDS_PER_DAY),
                    "deal_id": deal_id,
                }
                rows.append((row, 0, 0))
        self.load("deal_installments", rows)

    def product_variations(self) -> None:
        rng = self.rng("product_variations")
        products = self.store.tables["products"]
        rows = []
        for product_id in products.by_id:
            if rng.random() >= VARIATION_SHARE:
                continue
            product = products.rows[product_id]
            for size in rng.sample(("S", "M", "L", "XL"), rng.randint(1, 3)):
                variation_id = len(rows) + 1
                prices = [
                    {
                        "product_variation_id": variation_id,
                        "price": round(price["price"] * rng.uniform(0.8, 1.3), 2),
                        "currency": price["currency"],
                        "cost": price["cost"],
                        "direct_cost": None,
                        "notes": "",
                    }
                    for price in product["prices"]
                ]
                rows.append(
                    (
                        {
                            "id": variation_id,
                            "name": f"{product['name']} {size}",
                            "product_id": product_id,
                            "prices": prices,
                        },
                        0,
                        0,
                    )
                )
        self.load("product_variations", rows)

    def call_logs(self) -> None:
        rng = self.rng("call_logs")
        activities = [row for row in self.store.tables["activities"].rows.values() if row["type"] == "call"]
        rows = []
        for index in range(self.sizes["call_logs"]):
            activity = activities[index % len(activities)] if activities else None
            start = self.now - rng.randrange(SECONDS_PER_DAY, self.history_seconds)
            seconds = rng.choice((0, 0, 35, 120, 600, 1800))
            outcome = "connected" if seconds else rng.choice(CALL_OUTCOMES[1:])
            rows.append(
                (
                    {
                        "id": f"CA{rng.getrandbits(112):028x}",
                        "activity_id": activity["id"] if activity else None,
                        "person_id": activity["person_id"] if activity else None,
                        "org_id": activity["org_id"] if activity else None,
                        "deal_id": activity["deal_id"] if activity else None,
                        "lead_id": None,
                        "subject": f"Call about {rng.choice(vocab.DEAL_WORDS)}",
                        "duration": str(seconds),
                        "outcome": outcome,
                        "from_phone_number": f"+372{rng.randint(5000000, 5999999)}",
                        "to_phone_number": f"+49{rng.randint(100000000, 999999999)}",
                        "has_recording": bool(seconds) and rng.random() < 0.3,
                        "start_time": iso(start),
                        "end_time": iso(start + seconds),
                        "user_id": self.user(rng),
                        "company_id": 1,
                        "note": None if rng.random() < 0.6 else "Asked for a quote",
                    },
                    0,
                    0,
                )
            )
        self.load("call_logs", rows)

    def goals(self) -> None:
        rng = self.rng("goals")
        pipelines = sorted(self.store.tables["pipelines"].rows)
        rows = []
        for index, name in enumerate(GOAL_TYPES):
            start = day(self.now - rng.randrange(365 * SECONDS_PER_DAY))
            params = {"pipeline_id": pipelines[:1]} if name.startswith("deals") else {"activity_type_id": [1]}
            metric = "sum" if name == "deals_won" else "quantity"
            rows.append(
                (
                    {
                        "id": f"{rng.getrandbits(128):032x}",
                        "owner_id": 1,
                        "title": f"{name.replace('_', ' ').capitalize()} goal",
                        "type": {"name": name, "params": params},
                        "assignee": {
                            "id": self.user(rng) if index % 2 else 1,
                            "type": "person" if index % 2 else "company",
                        },
                        "interval": rng.choice(("weekly", "monthly", "quarterly", "yearly")),
                        "duration": {"start": start, "end": None},
                        "expected_outcome": {
                            "target": rng.choice((10, 50, 100000)),
                            "tracking_metric": metric,
                        },
                        "is_active": index != len(GOAL_TYPES) - 1,
                        "report_ids": [],
                    },
                    0,
                    0,
                )
            )
        self.load("goals", rows)

    def load(self, entity: str, rows: list) -> None:
        self.store.tables[entity].load_generated(rows)
