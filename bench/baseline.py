"""The baseline: the same simulator read through dlt's built-in `rest_api` source, declared the way
dlt's verified Pipedrive v2 source declares it (cursor paginator on `additional_data.next_cursor`,
500 a page, newest first, merge on `id`), plus `updated_since` incremental on `update_time` where
the spec declares it (not on products), loaded into DuckDB the default way (dicts through dlt's
normalizer)."""

from __future__ import annotations

from pathlib import Path

import dlt
from dlt.sources.rest_api import rest_api_source

# v2 list endpoints that declare `updated_since`; the others (products too) are read whole.
INCREMENTAL_ENTITIES = ("deals", "persons", "organizations", "activities")
BASELINE_ENTITIES = (*INCREMENTAL_ENTITIES, "products", "pipelines", "stages")
EPOCH = "1970-01-01T00:00:00Z"
LIST_PARAMS = {"limit": 500, "sort_by": "update_time", "sort_direction": "desc"}


def baseline_config(base_url: str, api_token: str, entities: list[str]) -> dict:
    resources = []
    for entity in entities:
        # a params dict of its own: dlt's rest_api writes the incremental `updated_since` into the
        # endpoint's params, and a dict shared through resource_defaults would carry it to products
        endpoint: dict = {"path": entity, "params": dict(LIST_PARAMS)}
        if entity in INCREMENTAL_ENTITIES:
            endpoint["incremental"] = {
                "start_param": "updated_since",
                "cursor_path": "update_time",
                "initial_value": EPOCH,
            }
        resources.append({"name": entity, "endpoint": endpoint})
    return {
        "client": {
            "base_url": f"{base_url}/api/v2/",
            # The token travels in the header (the documented way), never in the URL.
            "auth": {"type": "api_key", "name": "x-api-token", "api_key": api_token, "location": "header"},
            "paginator": {
                "type": "cursor",
                "cursor_path": "additional_data.next_cursor",
                "cursor_param": "cursor",
            },
        },
        "resource_defaults": {
            "primary_key": "id",
            "write_disposition": "merge",
            "endpoint": {"data_selector": "data"},
        },
        "resources": resources,
    }


def run_baseline(base_url: str, api_token: str, entities: list[str], workdir: Path) -> dict[str, int]:
    """One baseline run (incremental when `workdir` holds the state of an earlier run); rows per table."""
    unsupported = sorted(set(entities) - set(BASELINE_ENTITIES))
    if unsupported:
        raise ValueError(f"the baseline reads only v2 entities, not {unsupported}")
    pipeline = dlt.pipeline(
        pipeline_name="baseline_rest_api",
        pipelines_dir=str(workdir / "dlt"),
        destination=dlt.destinations.duckdb(str(workdir / "baseline.duckdb")),
        dataset_name="pipedrive_baseline",
    )
    pipeline.run(rest_api_source(baseline_config(base_url, api_token, entities)))
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return {table: count for table, count in counts.items() if not table.startswith("_dlt")}
