"""What the simulator knows about each entity: its shape, id type and timestamp format (declared as data)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulator.clock import iso, iso_millis, v1_time


@dataclass(frozen=True)
class EntitySpec:
    name: str
    label: str  # as in error messages: "Deal not found"
    shape: str  # "v2" or "v1": the API shape the record is stored in
    id_type: type = int
    update_key: str | None = "update_time"
    add_key: str | None = "add_time"
    time_format: Callable[[int | None], str | None] = iso
    field_entity: str | None = None  # whose custom fields live in `custom_fields`
    soft_delete: bool = True  # is_deleted + moving update_time, purged after 30 days


ENTITIES: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        EntitySpec("deals", "Deal", "v2", field_entity="deal_fields"),
        EntitySpec("persons", "Person", "v2", field_entity="person_fields"),
        EntitySpec("organizations", "Organization", "v2", field_entity="organization_fields"),
        EntitySpec("activities", "Activity", "v2"),
        EntitySpec("products", "Product", "v2", field_entity="product_fields"),
        EntitySpec("pipelines", "Pipeline", "v2"),
        EntitySpec("stages", "Stage", "v2"),
        EntitySpec("deal_products", "Product attachment", "v2", soft_delete=False),
        EntitySpec("users", "User", "v1", update_key="modified", add_key="created", time_format=v1_time),
        EntitySpec(
            "leads",
            "Lead",
            "v1",
            id_type=str,
            time_format=iso_millis,
            field_entity="deal_fields",
            soft_delete=False,
        ),
        EntitySpec("notes", "Note", "v1", time_format=v1_time, soft_delete=False),
        EntitySpec("activity_types", "Activity type", "v1", time_format=v1_time, soft_delete=False),
        EntitySpec("currencies", "Currency", "v1", update_key=None, add_key=None, soft_delete=False),
        EntitySpec("lead_labels", "Lead label", "v1", id_type=str, time_format=iso_millis, soft_delete=False),
        EntitySpec("boards", "Board", "v2", soft_delete=False),
        EntitySpec("phases", "Phase", "v2", soft_delete=False),
        EntitySpec("projects", "Project", "v2", field_entity="project_fields", soft_delete=False),
        EntitySpec("tasks", "Task", "v2", soft_delete=False),
        EntitySpec(
            "deal_installments", "Installment", "v2", update_key=None, add_key=None, soft_delete=False
        ),
        EntitySpec(
            "product_variations", "Product variation", "v2", update_key=None, add_key=None, soft_delete=False
        ),
        EntitySpec(
            "call_logs", "Call log", "v1", id_type=str, update_key=None, add_key=None, soft_delete=False
        ),
        EntitySpec("goals", "Goal", "v1", id_type=str, update_key=None, add_key=None, soft_delete=False),
        EntitySpec("filters", "Filter", "v1", time_format=v1_time, soft_delete=False),
        EntitySpec("files", "File", "v1", time_format=v1_time, soft_delete=False),
        EntitySpec(
            "deal_participants", "Participant", "v1", update_key=None, time_format=v1_time, soft_delete=False
        ),
        EntitySpec("followers", "Follower", "v2", update_key=None, soft_delete=False),
    )
}
