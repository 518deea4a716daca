"""Generation of the records around the CRM core that people share and follow: saved filters,
files attached to deals/persons/organizations/products, deal participants and followers.

Deterministic per seed and sized from the core counts (about one file per five deals; a third of
the deals have participants, and a third of the records followers, unless the counts
`deal_participants` and `followers` say how many), linked to records generated before. The
`participants_count` and `followers_count` the lists serve come from these
(`Store.participant_ids`, `Store.follower_ids`), so a sync asks for them only where there are some.
Filters and files are held in their v1 shape, followers in v2's (`user_id`, `add_time`) plus the
item they follow, participants as links that `/v1/deals/{id}/participants` expands.
"""

from __future__ import annotations

import random

from simulator import vocab
from simulator.clock import SECONDS_PER_DAY, v1_time
from simulator.store import FOLLOWED_TYPE

FILTER_TYPES = ("deals", "leads", "org", "people", "products", "activity", "projects")
FILTER_NAMES = {
    "deals": ("All open deals", "Won this quarter", "Rotting deals"),
    "leads": ("Unseen leads", "Leads from web forms"),
    "org": ("Key accounts", "Organizations without deals"),
    "people": ("Decision makers", "Newsletter subscribers"),
    "products": ("Subscriptions",),
    "activity": ("Overdue calls", "My meetings this week"),
    "projects": ("Active rollouts",),
}
FILE_KINDS = (
    ("pdf", "proposal", "application/pdf"),
    ("docx", "contract", "doc"),
    ("xlsx", "price-sheet", "spreadsheet"),
    ("png", "screenshot", "img"),
)
FILE_SHARE = 0.2  # files per deal
PARTICIPANT_SHARE = 0.33  # deals with participants (their person, sometimes one more)
SECOND_PARTICIPANT_SHARE = 0.3  # of those, deals with another person too
FOLLOWED_SHARE = 0.33  # records followed by their owner or a colleague


def generate_collaboration(store, sizes: dict[str, int], now: int) -> None:
    """Fill filters, files, deal participants and followers (call with `store.lock` held)."""
    _Collaboration(store, sizes, now).run()


class _Collaboration:
    def __init__(self, store, sizes: dict[str, int], now: int) -> None:
        self.store = store
        self.users = max(1, sizes["users"])
        self.sizes = sizes
        self.now = now

    def rng(self, purpose: str) -> random.Random:
        return random.Random(f"{self.store.seed}:{purpose}")

    def after(self, rng: random.Random, add_ts: int) -> int:
        """A moment between `add_ts` and now."""
        return add_ts + int((self.now - add_ts) * rng.random())

    def run(self) -> None:
        self.filters()
        self.files()
        self.participants()
        self.followers()

    def filters(self) -> None:
        rng = self.rng("filters")
        rows = []
        for kind in FILTER_TYPES:
            for name in FILTER_NAMES[kind]:
                add = self.now - rng.randrange(SECONDS_PER_DAY, 700 * SECONDS_PER_DAY)
                update = self.after(rng, add)
                rows.append(
                    (
                        {
                            "id": len(rows) + 1,
                            "name": name,
                            "filter_code": None,
                            "is_editable": True,
                            "active_flag": True,
                            "type": kind,
                            "temporary_flag": None,
                            "user_id": rng.randint(1, self.users),
                            "visible_to": rng.choice(("1", "3", "3", "7")),
                            "last_used_time": None
                            if rng.random() < 0.3
                            else v1_time(self.after(rng, update)),
                            "custom_view_id": None,
                        },
                        add,
                        update,
                    )
                )
        self.load("filters", rows)

    def files(self) -> None:
        rng = self.rng("files")
        deals = self.store.tables["deals"]
        count = int(len(deals) * FILE_SHARE)
        rows = []
        for file_id in range(1, count + 1):
            deal = deals.rows[deals.by_id[rng.randrange(len(deals))]]
            extension, stem, file_type = rng.choice(FILE_KINDS)
            person = self.store.tables["persons"].rows.get(deal.get("person_id"))
            organization = self.store.tables["organizations"].rows.get(deal.get("org_id"))
            add = self.after(rng, deals.add_ts[deal["id"]])
            word = rng.choice(vocab.DEAL_WORDS).lower().replace(" ", "-")
            name = f"{stem}-{deal['id']}-{word}.{extension}"
            rows.append(
                (
                    {
                        "id": file_id,
                        "user_id": rng.randint(1, self.users),
                        "deal_id": deal["id"],
                        "person_id": person["id"] if person else None,
                        "org_id": organization["id"] if organization else None,
                        "product_id": None,
                        "activity_id": None,
                        "lead_id": None,
                        "file_name": name,
                        "file_type": file_type,
                        "file_size": rng.randint(8_000, 4_000_000),
                        "active_flag": True,
                        "inline_flag": False,
                        "remote_location": "s3",
                        "remote_id": f"sim-{file_id:08d}",
                        "cid": "",
                        "s3_bucket": "",
                        "mail_message_id": "",
                        "mail_template_id": "",
                        "deal_name": deal["title"],
                        "person_name": person["name"] if person else "",
                        "org_name": organization["name"] if organization else "",
                        "product_name": "",
                        "lead_name": "",
                        "url": f"https://sim.pipedrive.example/v1/files/{file_id}/download",
                        "name": name,
                        "description": "",
                    },
                    add,
                    add,
                )
            )
        self.load("files", rows)

    def participants(self) -> None:
        """Some deals have their person as participant, a few another person too."""
        rng = self.rng("participants")
        deals = self.store.tables["deals"]
        persons = self.store.tables["persons"]
        rows = []
        for deal_id in self.chosen(rng, "deal_participants", list(deals.by_id), PARTICIPANT_SHARE):
            deal = deals.rows[deal_id]
            people = [deal["person_id"]] if deal.get("person_id") in persons.rows else []
            if len(persons) and (not people or rng.random() < SECOND_PARTICIPANT_SHARE):
                other = persons.by_id[rng.randrange(len(persons))]
                if other not in people:
                    people.append(other)
            for person_id in people:
                add = self.after(rng, max(deals.add_ts[deal_id], persons.add_ts[person_id]))
                record = {
                    "id": len(rows) + 1,
                    "deal_id": deal_id,
                    "person_id": person_id,
                    "active_flag": True,
                    "added_by_user_id": deal.get("owner_id") or 1,
                }
                rows.append((record, add, add))
        self.load("deal_participants", rows)

    def followers(self) -> None:
        """Some records are followed: by their owner, sometimes by a colleague as well or instead."""
        rng = self.rng("followers")
        rows = []
        records = [
            (entity, record_id) for entity in FOLLOWED_TYPE for record_id in self.store.tables[entity].by_id
        ]
        for entity, record_id in self.chosen(rng, "followers", records, FOLLOWED_SHARE):
            table = self.store.tables[entity]
            record = table.rows[record_id]
            users = [record["owner_id"]] if record.get("owner_id") and rng.random() < 0.8 else []
            if not users or rng.random() < 0.25:
                colleague = rng.randint(1, self.users)
                if colleague not in users:
                    users.append(colleague)
            for user_id in users:
                add = self.after(rng, table.add_ts[record_id])
                follower = {"id": len(rows) + 1, "item_type": FOLLOWED_TYPE[entity], "item_id": record_id}
                rows.append(({**follower, "user_id": user_id}, add, add))
        self.load("followers", rows)

    def chosen(self, rng: random.Random, count: str, candidates: list, share: float) -> list:
        """The candidates that get some (in their order): `sizes[count]` of them, else `share`."""
        size = self.sizes.get(count)
        if size is None:
            return [candidate for candidate in candidates if rng.random() < share]
        picked = set(rng.sample(range(len(candidates)), min(size, len(candidates))))
        return [candidate for index, candidate in enumerate(candidates) if index in picked]

    def load(self, entity: str, rows: list) -> None:
        self.store.tables[entity].load_generated(rows)
