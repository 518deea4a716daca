"""The official Pipedrive Node.js SDK (npm `pipedrive`, pinned in node_sdk/package.json) vs the simulator.

The SDK is installed once with `npm ci` into `tests/simulator/node_sdk/node_modules` (gitignored)
and reused on later runs. Without node/npm this test fails: CI has both.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from simulator.control import Simulator

pytestmark = pytest.mark.slow

SDK_DIR = Path(__file__).parent / "node_sdk"
COUNTS = {
    "users": 4,
    "organizations": 130,
    "persons": 210,
    "products": 25,
    "deals": 260,
    "deal_products": 10,
    "activities": 150,
    "leads": 5,
    "notes": 5,
}
FIELD_ENTITIES = ("deal_fields", "person_fields", "organization_fields", "product_fields", "activity_fields")


def _pinned_version() -> str:
    return json.loads((SDK_DIR / "package.json").read_text())["dependencies"]["pipedrive"]


def _installed_version() -> str | None:
    manifest = SDK_DIR / "node_modules" / "pipedrive" / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.exists() else None


@pytest.fixture(scope="module")
def sdk_dir() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("node and npm are required for the Node.js SDK check (install Node.js 20+)")
    if _installed_version() != _pinned_version():
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=SDK_DIR, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, result.stderr[-2000:]
    assert _installed_version() == _pinned_version()
    return SDK_DIR


def test_official_node_sdk_pages_everything_and_writes(sdk_dir):
    with Simulator.start(seed=3, counts=COUNTS) as sim:
        expected = {
            "deals": sum(1 for d in sim.truth("deals") if not d["is_deleted"] and not d["is_archived"]),
            # v2 lists these with their soft-deleted rows (is_deleted=true): deletions must be seen
            **{
                entity: sim.count(entity) for entity in ("persons", "organizations", "activities", "products")
            },
            **{field_entity: len(sim.fields(field_entity)) for field_entity in FIELD_ENTITIES},
        }
        deals_before = sim.count("deals")
        result = subprocess.run(
            ["node", "check_sdk.js", f"{sim.base_url}/api/v2", sim.token],
            cwd=sdk_dir,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        report = json.loads(result.stdout)

        for name, count in expected.items():
            assert report["counts"][name] == {"count": count, "distinct": count}, name
        assert expected["deals"] > 100 and expected["persons"] > 100  # several pages of 100 each

        write = report["write"]
        assert write["created_title"] == "SDK round trip"
        assert write["updated_title"] == write["fetched_title"] == "SDK round trip, renamed"
        assert write["deleted_id"] == write["id"]
        assert sim.count("deals") == deals_before + 1
        stored = sim.get("deals", write["id"])
        assert stored["title"] == "SDK round trip, renamed" and stored["value"] == 1234
        assert stored["is_deleted"] is True
