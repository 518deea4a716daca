"""`--full-refresh`, scoped so that nothing Pipedrive cannot give back is lost.

dlt's `refresh="drop_resources"` drops the tables and the state of the selected resources only
(`--resources persons` refreshes persons alone). dlt groups tables by the resource that writes them,
so it would drop `deal_snapshots` with `deals`; the tables in `KEPT_ON_REFRESH` are therefore
detached from their resource in the schema just before the extract (dlt sets it back when the
resource writes to them again). Only `--switch-account` drops them: another account's history does
not belong in the database.
"""

from __future__ import annotations

import dlt

from sources.pipedrive.entities import KEPT_ON_REFRESH
from sources.pipedrive.errors import ConfigurationError
from sources.pipedrive.state import SOURCE_NAME, resource_states

REFRESH_MODE = "drop_resources"


def prepare_refresh(pipeline: dlt.Pipeline, full_refresh: bool, switch_account: bool) -> str | None:
    """The dlt refresh mode for this run's extract (None: no refresh)."""
    if not (full_refresh or switch_account):
        return None
    if not switch_account and SOURCE_NAME in pipeline.schema_names:
        tables = pipeline.schemas[SOURCE_NAME].tables
        for name in KEPT_ON_REFRESH:
            if name in tables:
                tables[name]["resource"] = name  # no resource has this name: no refresh matches it
    return REFRESH_MODE


def check_list_mode(pipeline: dlt.Pipeline, entities, v1_list_entities, refreshing: bool) -> None:
    """An entity synced through the v2 lists and now asked through the deprecated v1 lists (or the
    reverse) would merge rows of the other shape over the stored ones, blanking `person_id`, `org_id`
    and `visible_to`: refused, unless this run refreshes that entity."""
    if refreshing:
        return
    states = resource_states(pipeline.state)
    for entity in entities:
        stored = states.get(entity.name)
        if stored is None or not entity.v1_streams:
            continue
        keys = set(stored.cursors) | set(stored.whole_list_digests)
        wanted = entity.v1_streams if entity.name in v1_list_entities else entity.streams
        other = entity.streams if wanted is entity.v1_streams else entity.v1_streams
        if keys & {stream.key for stream in other} and not keys & {stream.key for stream in wanted}:
            was, now = ("v2", "v1") if wanted is entity.v1_streams else ("v1", "v2")
            raise ConfigurationError(
                f"{entity.name} in this database came from the {was} lists; reading them from the {now} "
                f"lists now would blank links such as person_id and org_id. Re-read them in the new "
                f"shape with --full-refresh --resources {entity.name}, or keep the {was} lists."
            )
