"""Deterministic generation of a whole Pipedrive company from a seed and entity counts.

Relations are consistent (a deal's stage belongs to its pipeline, owners are users, links point
at existing records, with a realistic share of nulls), timestamps spread over three years with
many records sharing one second, and recent soft deletes that the 30-day purge has not reached.
"""

from __future__ import annotations

import bisect
import functools
import gc
import random
import unicodedata
import uuid
from datetime import datetime, timezone

from simulator import DEFAULT_COUNTS, PROPORTIONAL_COUNTS, vocab
from simulator.clock import SECONDS_PER_DAY, day, iso
from simulator.collaboration import generate_collaboration
from simulator.fields import (
    ADDRESS_PARTS,
    BUILTIN_FIELDS,
    BUILTIN_NAMESAKES,
    FIELD_ENTITIES,
    HOSTILE_CUSTOM_FIELDS,
    field_hash,
    make_field,
    option,
)
from simulator.store import Store
from simulator.work_items import generate_work_items

HISTORY_SECONDS = 3 * 365 * SECONDS_PER_DAY
DELETED_SHARE = 0.03
CUSTOM_FILL_SHARE = 0.4
CUSTOM_POOL_SIZE = 4096
ADDRESS_POOL_SIZE = 1024
BATCH_SECONDS = 60  # seconds of bulk edits/imports that many records share


def generate(store: Store, counts: dict[str, int] | None = None) -> None:
    """Fill an empty store. `counts` overrides DEFAULT_COUNTS per entity (and may set
    PROPORTIONAL_COUNTS: deals with participants, records with followers)."""
    sizes = {**DEFAULT_COUNTS, **(counts or {})}
    sizable = {*DEFAULT_COUNTS, *PROPORTIONAL_COUNTS}
    unknown = set(sizes) - sizable
    if unknown:
        raise ValueError(f"cannot size {sorted(unknown)}; sizable entities: {sorted(sizable)}")
    # Millions of fresh dicts would trigger the cyclic GC over and over; records hold no cycles.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        _Generator(store, sizes).run()
    finally:
        if was_enabled:
            gc.enable()


class _Generator:
    def __init__(self, store: Store, sizes: dict[str, int]) -> None:
        self.store = store
        self.sizes = sizes
        self.seed = store.seed
        self.now = store.clock.now()
        batch_rng = self.rng("batch-seconds")
        self.batch_seconds = sorted(
            self.now - batch_rng.randrange(HISTORY_SECONDS) for _ in range(BATCH_SECONDS)
        )

    @functools.cached_property
    def addresses(self) -> list[dict]:
        rng = self.rng("addresses")
        return [_address(rng) for _ in range(ADDRESS_POOL_SIZE)]

    def rng(self, purpose: str) -> Dice:
        return Dice(f"{self.seed}:{purpose}")

    def run(self) -> None:
        with self.store.lock:
            self.users()
            self.reference_data()
            self.pipelines_and_stages()
            self.field_definitions()
            self.organizations()
            self.persons()
            self.products()
            self.deals()
            self.deal_products()
            self.activities()
            self.leads()
            self.notes()
            generate_work_items(self.store, self.sizes, self.now, HISTORY_SECONDS)
            generate_collaboration(self.store, self.sizes, self.now)
            self.store.rebuild_links()

    # ---- time ----------------------------------------------------------------------------

    def times(self, rng: random.Random, deleted: bool = False) -> tuple[int, int]:
        """(add_ts, update_ts): add <= update, recent updates likelier, many sharing one second."""
        add = self.now - rng.randrange(SECONDS_PER_DAY, HISTORY_SECONDS)
        roll = rng.random()
        if deleted:
            update = self.now - rng.randrange(0, 29 * SECONDS_PER_DAY)
        elif roll < 0.25:
            update = add
        elif roll < 0.65:  # a bulk edit or import: one second shared by many records
            first = bisect.bisect_left(self.batch_seconds, add)
            count = len(self.batch_seconds) - first
            update = self.batch_seconds[first + rng.randrange(count)] if count else add
        else:
            update = self.now - int((self.now - add) * rng.random() ** 2)
        return add, max(add, update)

    # ---- reference data ------------------------------------------------------------------

    def users(self) -> None:
        rng = self.rng("users")
        rows = []
        for user_id in range(1, self.sizes["users"] + 1):
            first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
            add, update = self.times(rng)
            timezone_id, timezone_name = rng.choice(vocab.TIMEZONES)
            rows.append(
                (
                    {
                        "id": user_id,
                        "name": f"{first} {last}",
                        "default_currency": "EUR",
                        "locale": rng.choice(("en_US", "de_DE", "et_EE", "fr_FR")),
                        "lang": 1,
                        "email": _email(first, last, user_id, "sales-sim.example"),
                        "phone": None if rng.random() < 0.5 else _phone(rng),
                        "activated": True,
                        "last_login": datetime.fromtimestamp(update, timezone.utc).strftime(
                            "%Y-%m-%d %H:%M:%S"
                        ),
                        "has_created_company": user_id == 1,
                        "access": [
                            {
                                "app": "sales",
                                "admin": user_id == 1,
                                "permission_set_id": str(uuid.UUID(int=user_id)),
                            }
                        ],
                        "active_flag": user_id == 1 or rng.random() > 0.1,
                        "timezone_name": timezone_name,
                        "timezone_offset": "+01:00",
                        "role_id": 1,
                        "icon_url": None,
                        "is_you": user_id == 1,
                        "is_deleted": False,
                    },
                    add,
                    update,
                )
            )
        self._load("users", rows)

    def reference_data(self) -> None:
        base = self.now - HISTORY_SECONDS - SECONDS_PER_DAY
        self._load(
            "currencies",
            [
                (
                    {
                        "id": index,
                        "code": code,
                        "name": name,
                        "decimal_points": decimals,
                        "symbol": symbol,
                        "active_flag": True,
                        "is_custom_flag": False,
                    },
                    0,
                    0,
                )
                for index, (code, name, symbol, decimals) in enumerate(vocab.CURRENCIES, start=1)
            ],
        )
        self._load(
            "activity_types",
            [
                (
                    {
                        "id": index,
                        "name": name,
                        "icon_key": icon,
                        "color": None,
                        "order_nr": index,
                        "key_string": key,
                        "active_flag": True,
                        "is_custom_flag": False,
                    },
                    base,
                    base,
                )
                for index, (name, key, icon) in enumerate(vocab.ACTIVITY_TYPES, start=1)
            ],
        )
        rng = self.rng("lead_labels")
        self._load(
            "lead_labels",
            [
                (
                    {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "name": name, "color": color},
                    base,
                    base,
                )
                for name, color in vocab.LEAD_LABELS
            ],
        )

    def pipelines_and_stages(self) -> None:
        rng = self.rng("pipelines")
        pipelines, stages = [], []
        base = self.now - HISTORY_SECONDS - SECONDS_PER_DAY
        count = max(1, min(self.sizes["pipelines"], len(vocab.PIPELINES)))
        for pipeline_id, (name, stage_names) in enumerate(vocab.PIPELINES[:count], start=1):
            add = base + rng.randrange(SECONDS_PER_DAY)
            pipelines.append(
                (
                    {
                        "id": pipeline_id,
                        "name": name,
                        "order_nr": pipeline_id,
                        "is_deleted": False,
                        "is_deal_probability_enabled": pipeline_id == 1,
                    },
                    add,
                    add,
                )
            )
            for order, stage_name in enumerate(stage_names, start=1):
                stage_id = len(stages) + 1
                rot = rng.random() < 0.3
                stages.append(
                    (
                        {
                            "id": stage_id,
                            "order_nr": order,
                            "name": stage_name,
                            "is_deleted": False,
                            "deal_probability": min(100, order * 100 // len(stage_names)),
                            "pipeline_id": pipeline_id,
                            "is_deal_rot_enabled": rot,
                            "days_to_rotten": rng.choice((7, 14, 30)) if rot else None,
                        },
                        add,
                        add + rng.randrange(HISTORY_SECONDS // 2),
                    )
                )
        self._load("pipelines", pipelines)
        self._load("stages", stages)
        self.stage_ids = [record["id"] for record, _, _ in stages]
        self.stage_pipeline = {record["id"]: record["pipeline_id"] for record, _, _ in stages}
        self.stage_probability = {record["id"]: record["deal_probability"] for record, _, _ in stages}

    def field_definitions(self) -> None:
        """Built-in fields first (field_code = record key), then the hostile custom fields."""
        created = iso(self.now - HISTORY_SECONDS)
        for field_entity, record_entity in FIELD_ENTITIES.items():
            registry = self.store.fields[field_entity]
            for code, name, field_type, options in BUILTIN_FIELDS[record_entity]:
                opts = [option(oid, label, None) for oid, label in options] if options else None
                registry.add(make_field(field_entity, code, name, field_type, False, opts))
            if record_entity == "activities":
                continue  # activities have no custom fields in v2
            rng = self.rng(f"fields:{field_entity}")
            hostile = HOSTILE_CUSTOM_FIELDS + BUILTIN_NAMESAKES[record_entity]
            for index, (name, field_type, option_spec) in enumerate(hostile):
                opts = None
                if field_type in ("enum", "set"):
                    labels = (
                        option_spec if isinstance(option_spec, tuple) else _option_labels(rng, option_spec)
                    )
                    opts = [option(self.store.new_option_id(), label, created) for label in labels]
                registry.add(
                    make_field(
                        field_entity,
                        field_hash(self.seed, field_entity, index),
                        name,
                        field_type,
                        True,
                        opts,
                        description="" if index % 3 else f"Custom field #{index}",
                    )
                )

    # ---- records -------------------------------------------------------------------------

    def organizations(self) -> None:
        rng = self.rng("organizations")
        custom = CustomValues(self, "organization_fields", self.sizes["organizations"])
        rows = []
        for org_id in range(1, self.sizes["organizations"] + 1):
            deleted = rng.random() < DELETED_SHARE
            add, update = self.times(rng, deleted)
            rows.append(
                (
                    {
                        "id": org_id,
                        "name": f"{rng.choice(vocab.COMPANY_STEMS)} {rng.choice(vocab.COMPANY_SUFFIXES)}",
                        "owner_id": self.user(rng),
                        "add_time": None,
                        "update_time": None,
                        "is_deleted": deleted,
                        "visible_to": rng.choice((3, 3, 3, 1, 7)),
                        "address": self.address(rng) if rng.random() < 0.7 else None,
                        "label_ids": _some(rng, (21, 22, 23), 0.3),
                        "custom_fields": custom.fill(rng),
                    },
                    add,
                    update,
                )
            )
        self._load("organizations", rows)

    def persons(self) -> None:
        rng = self.rng("persons")
        custom = CustomValues(self, "person_fields", self.sizes["persons"])
        rows = []
        for person_id in range(1, self.sizes["persons"] + 1):
            first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
            deleted = rng.random() < DELETED_SHARE
            add, update = self.times(rng, deleted)
            emails = [
                {"value": _email(first, last, person_id, "client.example"), "primary": True, "label": "work"}
            ]
            if rng.random() < 0.2:
                emails.append(
                    {
                        "value": _email(first, last, person_id, "mail.example"),
                        "primary": False,
                        "label": "home",
                    }
                )
            rows.append(
                (
                    {
                        "id": person_id,
                        "name": f"{first} {last}",
                        "first_name": first,
                        "last_name": last,
                        "owner_id": self.user(rng),
                        "org_id": self.maybe_id(rng, "organizations", 0.3),
                        "add_time": None,
                        "update_time": None,
                        "emails": emails if rng.random() < 0.9 else [],
                        "phones": [{"value": _phone(rng), "primary": True, "label": "mobile"}]
                        if rng.random() < 0.7
                        else [],
                        "is_deleted": deleted,
                        "visible_to": rng.choice((3, 3, 3, 1)),
                        "label_ids": _some(rng, (11, 12, 13), 0.3),
                        "picture_id": None,
                        "postal_address": self.address(rng) if rng.random() < 0.2 else None,
                        "notes": None,
                        "im": [],
                        "birthday": None
                        if rng.random() < 0.8
                        else f"{rng.randint(1950, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                        "job_title": rng.choice(
                            (None, "CEO", "CTO", "Head of Sales", "Buyer", "Office manager", "Ingénieure")
                        ),
                        "custom_fields": custom.fill(rng),
                    },
                    add,
                    update,
                )
            )
        self._load("persons", rows)

    def products(self) -> None:
        rng = self.rng("products")
        custom = CustomValues(self, "product_fields", self.sizes["products"])
        rows = []
        for product_id in range(1, self.sizes["products"] + 1):
            deleted = rng.random() < DELETED_SHARE
            add, update = self.times(rng, deleted)
            base_price = round(rng.lognormvariate(5, 1.2), 2)
            prices = [
                {
                    "product_id": product_id,
                    "currency": code,
                    "price": round(base_price * factor, 2),
                    "cost": round(base_price * factor * 0.6, 2),
                    "direct_cost": None,
                    "notes": "",
                }
                for code, factor in (("EUR", 1.0), ("USD", 1.1), ("GBP", 0.85))[: rng.randint(1, 3)]
            ]
            frequency = rng.choice(("one-time", "one-time", "monthly", "annually"))
            rows.append(
                (
                    {
                        "id": product_id,
                        "name": f"{rng.choice(vocab.PRODUCT_NAMES)} {product_id}",
                        "code": f"SKU-{product_id:05d}",
                        "unit": rng.choice(("pcs", "seat", "hour", "day", "")),
                        "tax": rng.choice((0, 7, 19, 20, 24)),
                        "is_deleted": deleted,
                        "is_linkable": True,
                        "visible_to": 3,
                        "owner_id": self.user(rng),
                        "custom_fields": custom.fill(rng),
                        "billing_frequency": frequency,
                        "billing_frequency_cycles": None
                        if frequency == "one-time"
                        else rng.choice((None, 12, 24)),
                        "prices": prices,
                        "add_time": None,
                        "update_time": None,
                    },
                    add,
                    update,
                )
            )
        self._load("products", rows)

    def deals(self) -> None:
        rng = self.rng("deals")
        custom = CustomValues(self, "deal_fields", self.sizes["deals"])
        currencies = [
            code
            for (code, *_), weight in zip(vocab.CURRENCIES, vocab.CURRENCY_WEIGHTS, strict=True)
            for _ in range(weight)
        ]
        rows = []
        for deal_id in range(1, self.sizes["deals"] + 1):
            deleted = rng.random() < DELETED_SHARE
            add, update = self.times(rng, deleted)
            stage_id = rng.choice(self.stage_ids)
            roll = rng.random()
            status = "open" if roll < 0.6 else "won" if roll < 0.85 else "lost"
            closed = None if status == "open" else iso(rng.randint(add, update))
            org_id = self.maybe_id(rng, "organizations", 0.25)
            rows.append(
                (
                    {
                        "id": deal_id,
                        "title": f"{rng.choice(vocab.COMPANY_STEMS)} {rng.choice(vocab.DEAL_WORDS)}",
                        "owner_id": self.user(rng),
                        "person_id": self.maybe_id(rng, "persons", 0.15),
                        "org_id": org_id,
                        "pipeline_id": self.stage_pipeline[stage_id],
                        "stage_id": stage_id,
                        "value": round(rng.lognormvariate(8, 1.5), 2) if rng.random() < 0.9 else 0,
                        "currency": rng.choice(currencies),
                        "add_time": None,
                        "update_time": None,
                        "stage_change_time": iso(rng.randint(add, update)) if rng.random() < 0.7 else None,
                        "is_deleted": deleted,
                        "is_archived": (not deleted) and rng.random() < 0.05,
                        "status": status,
                        "probability": None if rng.random() < 0.7 else self.stage_probability[stage_id],
                        "lost_reason": rng.choice(vocab.LOST_REASONS) if status == "lost" else None,
                        "visible_to": rng.choice((3, 3, 3, 1, 7)),
                        "close_time": closed,
                        "won_time": closed if status == "won" else None,
                        "lost_time": closed if status == "lost" else None,
                        "expected_close_date": day(add + rng.randrange(120 * SECONDS_PER_DAY))
                        if rng.random() < 0.5
                        else None,
                        "label_ids": _some(rng, (1, 2, 3), 0.3),
                        "origin": rng.choice(
                            ("ManuallyCreated", "ManuallyCreated", "API", "Import", "WebForms")
                        ),
                        "origin_id": None,
                        "channel": rng.choice((None, None, 101, 102, 103)),
                        "channel_id": None,
                        "source_lead_id": None,
                        "arr": None,
                        "mrr": None,
                        "acv": None,
                        "custom_fields": custom.fill(rng),
                    },
                    add,
                    update,
                )
            )
        self._load("deals", rows)

    def deal_products(self) -> None:
        rng = self.rng("deal_products")
        deals = self.store.tables["deals"]
        products = self.store.tables["products"]
        if not len(deals) or not len(products):
            return
        rows = []
        for attachment_id in range(1, self.sizes["deal_products"] + 1):
            deal = deals.rows[rng.randint(1, len(deals))]
            product = products.rows[rng.randint(1, len(products))]
            quantity = rng.randint(1, 20)
            price = product["prices"][0]["price"]
            discount = rng.choice((0, 0, 5, 10))
            add = max(deals.add_ts[deal["id"]], products.add_ts[product["id"]])
            update = add if rng.random() < 0.5 else rng.randint(add, self.now)
            rows.append(
                (
                    {
                        "id": attachment_id,
                        "sum": round(quantity * price * (100 - discount) / 100, 2),
                        "tax": product["tax"],
                        "deal_id": deal["id"],
                        "name": product["name"],
                        "product_id": product["id"],
                        "product_variation_id": None,
                        "order_nr": attachment_id,
                        "add_time": None,
                        "update_time": None,
                        "comments": None,
                        "currency": deal["currency"],
                        "discount": discount,
                        "discount_type": "percentage",
                        "quantity": quantity,
                        "item_price": price,
                        "tax_method": rng.choice(("exclusive", "inclusive", "none")),
                        "is_enabled": True,
                        "billing_frequency": product["billing_frequency"],
                        "billing_frequency_cycles": product["billing_frequency_cycles"],
                        "billing_start_date": None
                        if product["billing_frequency"] == "one-time"
                        else day(add),
                    },
                    add,
                    update,
                )
            )
        self._load("deal_products", rows)

    def activities(self) -> None:
        rng = self.rng("activities")
        types = [key for _, key, _ in vocab.ACTIVITY_TYPES]
        rows = []
        for activity_id in range(1, self.sizes["activities"] + 1):
            deleted = rng.random() < DELETED_SHARE
            add, update = self.times(rng, deleted)
            kind = rng.choice(types)
            person_id = self.maybe_id(rng, "persons", 0.3)
            done = rng.random() < 0.55
            offset = rng.randrange(-5 * SECONDS_PER_DAY, 60 * SECONDS_PER_DAY)
            # open activities are planned around today (some overdue, most upcoming), done ones after adding
            due = add + offset if done else self.now - 10 * SECONDS_PER_DAY + offset
            has_time = rng.random() < 0.6
            meeting = kind in ("meeting", "lunch")
            rows.append(
                (
                    {
                        "id": activity_id,
                        "subject": f"{kind.capitalize()} about {rng.choice(vocab.DEAL_WORDS)}",
                        "type": kind,
                        "owner_id": self.user(rng),
                        "creator_user_id": self.user(rng),
                        "is_deleted": deleted,
                        "add_time": None,
                        "update_time": None,
                        "deal_id": self.maybe_id(rng, "deals", 0.4),
                        "lead_id": None,
                        "person_id": person_id,
                        "org_id": self.maybe_id(rng, "organizations", 0.5),
                        "project_id": None,
                        "due_date": day(due),
                        "due_time": f"{rng.randint(8, 17):02d}:{rng.choice((0, 15, 30, 45)):02d}"
                        if has_time
                        else None,
                        "duration": f"{rng.choice((0, 0, 1)):02d}:{rng.choice((15, 30, 45)):02d}"
                        if has_time
                        else None,
                        "busy": meeting,
                        "done": done,
                        "marked_as_done_time": iso(min(update, max(add, due))) if done else None,
                        "location": self.address(rng) if meeting and rng.random() < 0.5 else None,
                        "participants": [{"person_id": person_id, "primary": True}] if person_id else [],
                        "attendees": [
                            {
                                "email": "guest@client.example",
                                "name": "Guest",
                                "status": "accepted",
                                "is_organizer": False,
                                "person_id": person_id,
                                "user_id": None,
                            }
                        ]
                        if meeting
                        else [],
                        "conference_meeting_client": None,
                        "conference_meeting_url": None,
                        "conference_meeting_id": None,
                        "public_description": None,
                        "priority": None,
                        "note": None if rng.random() < 0.7 else "<p>Follow up – see notes</p>",
                    },
                    add,
                    update,
                )
            )
        self._load("activities", rows)

    def leads(self) -> None:
        """Leads are v1-only and kept in their v1 shape; their deal custom fields sit in
        `custom_fields` in v2 value shape (the v1 endpoints flatten them)."""
        rng = self.rng("leads")
        custom = CustomValues(self, "deal_fields", self.sizes["leads"])
        label_ids = list(self.store.tables["lead_labels"].rows)
        rows = []
        for _ in range(self.sizes["leads"]):
            add, update = self.times(rng)
            person_id = self.maybe_id(rng, "persons", 0.3)
            org_id = self.maybe_id(rng, "organizations", 0.3 if person_id else 0.0)
            rows.append(
                (
                    {
                        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        "title": f"{rng.choice(vocab.COMPANY_STEMS)} lead",
                        "owner_id": self.user(rng),
                        "creator_id": self.user(rng),
                        "label_ids": _some(rng, label_ids, 0.4),
                        "person_id": person_id,
                        "organization_id": org_id,
                        "source_name": "Manually created",
                        "origin": "ManuallyCreated",
                        "origin_id": None,
                        "channel": None,
                        "channel_id": None,
                        "source_deal_id": None,
                        "is_archived": rng.random() < 0.1,
                        "was_seen": rng.random() < 0.5,
                        "value": {"amount": round(rng.lognormvariate(7, 1), 2), "currency": "EUR"}
                        if rng.random() < 0.6
                        else None,
                        "expected_close_date": None,
                        "next_activity_id": None,
                        "add_time": None,
                        "update_time": None,
                        "visible_to": "3",
                        "cc_email": f"company+lead{len(rows) + 1}@pipedrivemail.example",
                        "custom_fields": custom.fill(rng),
                    },
                    add,
                    update,
                )
            )
        self._load("leads", rows)

    def notes(self) -> None:
        rng = self.rng("notes")
        deals = self.store.tables["deals"].rows
        persons = self.store.tables["persons"].rows
        orgs = self.store.tables["organizations"].rows
        users = self.store.tables["users"].rows
        rows = []
        for note_id in range(1, self.sizes["notes"] + 1):
            add, update = self.times(rng)
            deal_id = self.maybe_id(rng, "deals", 0.4)
            person_id = self.maybe_id(rng, "persons", 0.5)
            org_id = self.maybe_id(rng, "organizations", 0.5)
            user = users[self.user(rng)]
            rows.append(
                (
                    {
                        "id": note_id,
                        "active_flag": True,
                        "add_time": None,
                        "update_time": None,
                        "content": rng.choice(
                            (
                                "<p>Called, left a message.</p>",
                                "Budget approved 🎉",
                                "Prix à confirmer",
                                "<b>Next step:</b> send proposal",
                                "見積もりを送付済み",
                            )
                        ),
                        "deal_id": deal_id,
                        "deal": {"title": deals[deal_id]["title"]} if deal_id else None,
                        "lead_id": None,
                        "person_id": person_id,
                        "person": {"name": persons[person_id]["name"]} if person_id else None,
                        "org_id": org_id,
                        "organization": {"name": orgs[org_id]["name"]} if org_id else None,
                        "project_id": None,
                        "project": None,
                        "task_id": None,
                        "task": None,
                        "last_update_user_id": user["id"],
                        "user_id": user["id"],
                        "user": {
                            "email": user["email"],
                            "icon_url": None,
                            "is_you": user["is_you"],
                            "name": user["name"],
                        },
                        "pinned_to_deal_flag": False,
                        "pinned_to_organization_flag": False,
                        "pinned_to_person_flag": False,
                        "pinned_to_project_flag": False,
                        "pinned_to_task_flag": False,
                    },
                    add,
                    update,
                )
            )
        self._load("notes", rows)

    # ---- helpers -------------------------------------------------------------------------

    def address(self, rng: random.Random) -> dict:
        """One of a seeded pool of addresses, shared between records (never changed in place)."""
        return self.addresses[int(rng.random() * len(self.addresses))]

    def user(self, rng: random.Random) -> int:
        return rng.randint(1, self.sizes["users"])

    def maybe_id(self, rng: random.Random, entity: str, null_share: float) -> int | None:
        size = self.sizes[entity]
        if size == 0 or rng.random() < null_share:
            return None
        return rng.randint(1, size)

    def _load(self, entity: str, rows: list[tuple[dict, int, int]]) -> None:
        self.store.tables[entity].load_generated(rows)


class Dice(random.Random):
    """random.Random with cheaper choice/randint/randrange/sample: generation speed matters at 1M rows."""

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))

    def sample(self, population, k: int, *, counts=None) -> list:
        pool = population if isinstance(population, list | tuple | range) else list(population)
        if k * 3 > len(pool):
            return super().sample(pool, k)
        picked: dict = {}
        while len(picked) < k:
            picked.setdefault(int(self.random() * len(pool)), None)
        return [pool[index] for index in picked]


class CustomValues:
    """Random custom-field values in their v2 shape, for one field entity."""

    def __init__(self, generator: _Generator, field_entity: str, records: int) -> None:
        self.generator = generator
        self.fields = self.generator.store.fields[field_entity].custom()
        self.empty = {field["field_code"]: None for field in self.fields}
        self.option_ids = {
            field["field_code"]: [o["id"] for o in field["options"] or ()] for field in self.fields
        }

    def fill(self, rng: random.Random) -> dict:
        values = dict(self.empty)
        roll = rng.random
        for field in self.fields:
            if roll() < CUSTOM_FILL_SHARE:
                values[field["field_code"]] = self.value(rng, field)
        return values

    def value(self, rng: random.Random, field: dict):
        kind = field["field_type"]
        code = field["field_code"]
        sizes = self.generator.sizes
        if kind in ("varchar", "varchar_auto"):
            return f"{rng.choice(vocab.COMPANY_STEMS)} {rng.choice(vocab.DEAL_WORDS)}"
        if kind == "text":
            return rng.choice(
                ("Line one\nline two", "Ünïcödé • text ✓", "'; DROP TABLE deals; --", "長いテキスト")
            )
        if kind == "phone":
            return _phone(rng)
        if kind == "double":
            return round(rng.uniform(-100, 10_000), 2) if rng.random() < 0.7 else rng.randint(0, 100)
        if kind == "monetary":
            return {
                "value": round(rng.lognormvariate(7, 1), 2),
                "currency": rng.choice(("EUR", "USD", "GBP")),
            }
        if kind == "enum":
            return rng.choice(self.option_ids[code])
        if kind == "set":
            options = self.option_ids[code]
            return sorted(rng.sample(options, min(len(options), rng.randint(1, 3))))
        if kind == "user":
            return rng.randint(1, sizes["users"])
        if kind == "org":
            return rng.randint(1, sizes["organizations"]) if sizes["organizations"] else None
        if kind == "people":
            return rng.randint(1, sizes["persons"]) if sizes["persons"] else None
        now = self.generator.now
        if kind == "date":
            return day(now - rng.randrange(HISTORY_SECONDS))
        if kind == "daterange":
            start = now - rng.randrange(HISTORY_SECONDS)
            return {"value": day(start), "until": day(start + rng.randrange(90 * SECONDS_PER_DAY))}
        timezone_id, timezone_name = rng.choice(vocab.TIMEZONES)
        if kind == "time":
            return {
                "value": f"{rng.randint(0, 23):02d}:{rng.choice((0, 30)):02d}:00",
                "timezone_id": timezone_id,
                "timezone_name": timezone_name,
            }
        if kind == "timerange":
            start = rng.randint(7, 12)
            return {
                "value": f"{start:02d}:00:00",
                "until": f"{start + rng.randint(1, 8):02d}:30:00",
                "timezone_id": timezone_id,
                "timezone_name": timezone_name,
            }
        if kind == "address":
            return _address(rng, with_formatted=True)
        raise ValueError(f"no generator for field type {kind}")


def _option_labels(rng: random.Random, count: int) -> list[str]:
    return [f"{rng.choice(vocab.COMPANY_STEMS)} {index:04d}" for index in range(1, count + 1)]


def _some(rng: random.Random, choices, share: float) -> list:
    if not choices or rng.random() >= share:
        return []
    return sorted(rng.sample(list(choices), rng.randint(1, min(2, len(choices)))))


def _email(first: str, last: str, number: int, domain: str) -> str:
    folded = unicodedata.normalize("NFKD", f"{first}.{last}".lower())
    ascii_name = folded.encode("ascii", "ignore").decode().replace(" ", "").replace("'", "")
    return f"{ascii_name}{number}@{domain}"


def _phone(rng: random.Random) -> str:
    return f"+{rng.choice((1, 33, 44, 49, 372, 81))} {rng.randint(100, 999)} {rng.randint(100000, 9999999)}"


def _address(rng: random.Random, with_formatted: bool = False) -> dict:
    city, region, country, postal = rng.choice(vocab.CITIES)
    street = rng.choice(vocab.STREETS)
    number = str(rng.randint(1, 200))
    parts = {
        "value": f"{street} {number}, {postal} {city}",
        "country": country,
        "admin_area_level_1": region,
        "admin_area_level_2": None,
        "locality": city,
        "sublocality": None,
        "route": street,
        "street_number": number,
        "subpremise": None,
        "postal_code": postal,
    }
    if with_formatted:
        parts = {"value": parts["value"], **{part: parts.get(part) for part in ADDRESS_PARTS}}
        parts["formatted_address"] = f"{street} {number}, {postal} {city}, {country}"
    return parts
