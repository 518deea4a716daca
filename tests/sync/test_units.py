"""Unit tests on small inline fixtures: timestamps, Arrow tables, v1 custom fields, costs."""

from datetime import datetime, timezone

import pyarrow as pa

from sources.pipedrive.arrow_tables import TableBuilder, gather_v1_custom_fields
from sources.pipedrive.costs import token_cost
from sources.pipedrive.timestamps import latest_instant, parse_instant, to_rfc3339_second

HASH = "a" * 40
STAMP = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_timestamps_compare_as_instants_not_strings():
    with_millis = parse_instant("2025-01-01T10:20:00.000Z")
    plain = parse_instant("2025-01-01T10:20:00Z")
    v1 = parse_instant("2025-01-01 10:20:00")
    assert with_millis == plain == v1
    # As strings ".000Z" sorts before "Z" although the instants are equal / later
    assert latest_instant(["2025-01-01T10:20:01Z", "2025-01-01T10:20:00.500Z"]) == parse_instant(
        "2025-01-01T10:20:01Z"
    )
    assert to_rfc3339_second(parse_instant("2025-01-01T10:20:00.900Z")) == "2025-01-01T10:20:00Z"
    assert parse_instant("2025-01-01T12:20:00+02:00") == plain


def test_v1_custom_fields_are_gathered_with_their_suffixes():
    record = {"id": 1, "title": "x", HASH: 500, f"{HASH}_currency": "EUR", "b" * 40: None}
    shaped = gather_v1_custom_fields(record)
    assert shaped == {
        "id": 1,
        "title": "x",
        "custom_fields": {HASH: 500, f"{HASH}_currency": "EUR", "b" * 40: None},
    }


def test_arrow_table_types_are_stable_and_nested_values_become_json_text():
    learned: dict = {}
    builder = TableBuilder("id", float_columns=("value",), learned_types=learned)
    first = builder.build(
        [
            {
                "id": 1,
                "value": 10,
                "label_ids": [1, 2],
                "custom_fields": {HASH: {"value": 1, "currency": "EUR"}},
            },
            {"id": 2, "value": None, "label_ids": None, "custom_fields": {}, "won_time": None},
        ],
        {"_source_api": "v2", "_archived": False},
        STAMP,
    )
    assert first.schema.field("id").type == pa.int64() and not first.schema.field("id").nullable
    assert first.schema.field("value").type == pa.float64()
    assert first.column("label_ids").to_pylist() == ["[1,2]", None]
    assert first.column("custom_fields").to_pylist()[0] == f'{{"{HASH}":{{"value":1,"currency":"EUR"}}}}'
    assert "won_time" not in first.column_names  # all-null, type unknown: appears with its first value
    assert first.column("_archived").to_pylist() == [False, False]
    assert first.column("_extracted_at").to_pylist() == [STAMP, STAMP]
    # a later batch where label_ids is null everywhere keeps the learned JSON column
    second = TableBuilder("id", learned_types=learned).build([{"id": 3, "value": 1.5}], {}, STAMP)
    assert second.schema.field("label_ids").type == pa.string()
    assert learned["label_ids"] == "json" and learned["value"] == "float64"


def test_cost_table():
    assert token_cost("/api/v2/deals") == 10
    assert token_cost("/api/v2/stages") == 5
    assert token_cost("/api/v2/deals/archived") == 20
    assert token_cost("/v1/users") == 20
    assert token_cost("/api/v1/leads/archived") == 40


def test_backfill_windows_cover_the_range_without_gaps_and_stay_open_at_the_end():
    from sources.pipedrive.entities import Stream
    from sources.pipedrive.pagination import CURSOR
    from sources.pipedrive.rate_limit import BurstLimiter
    from sources.pipedrive.windows import Window, WindowedBackfill, _window_bounds

    first, newest = parse_instant("2025-01-01T00:00:00.400Z"), parse_instant("2025-01-01T00:01:39Z")
    bounds = _window_bounds(first, newest, 4)
    assert bounds[0][0] == parse_instant("2025-01-01T00:00:00Z")  # inclusive from page one's second
    assert all(until == bounds[index + 1][0] for index, (_, until) in enumerate(bounds[:-1]))
    assert bounds[-1][1] is None and len(bounds) == 4
    assert _window_bounds(first, first, 4) == [(bounds[0][0], None)]  # one second: one window

    backfill = WindowedBackfill(None, BurstLimiter(), Stream("/api/v2/deals", CURSOR), "update_time", 4)
    backfill.windows = [Window(since, until) for since, until in bounds]
    for window, finished in zip(backfill.windows, [True, False, False, True], strict=True):
        window.finished = finished
    backfill.windows[0].newest_read = parse_instant("2025-01-01T00:00:20Z")
    backfill.windows[2].newest_read = bounds[2][0]
    # the second window is unfinished and nothing of it was read: the cursor stays at its start
    assert backfill.safe_cursor(newest) == bounds[1][0]
    for window in backfill.windows:
        window.finished = True
    assert backfill.safe_cursor(newest) == newest
