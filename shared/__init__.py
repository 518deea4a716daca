"""Facts every part of pipedrive-sync shares, at the bottom of the imports: the database file and
schema names (`shared.warehouse`), the record of runs (`shared.run_log`: table `sync_runs` and the
pending file, written by the sync, read by `status` and the report) and the test-only crash switch
(`shared.crash_points`).

`sources/`, `transforms/`, `report/` and `pipelines/` may import this package; it imports none of
them (tests/project/test_layers.py checks both directions), and no heavy library at import time.
"""
