"""The end-of-run summary printed by `run` and `demo`."""

from __future__ import annotations


def summary_lines(result) -> list[str]:
    lines = ["Rows loaded per table:"]
    lines += [f"  {table:<22} {rows:>10,}" for table, rows in sorted(result.rows_per_table.items())]
    lines += [
        f"  {table:<22} {count:>10,} flagged is_deleted (gone upstream)"
        for table, count in sorted(result.marked_deleted.items())
    ]
    if result.reconcile_requests:
        lines.append(
            f"Reconciliation (listing ids to notice deletes): {result.reconcile_requests:,} requests, "
            f"{result.reconcile_tokens:,} tokens"
        )
    rate = sum(result.rows_per_table.values()) / result.duration_s if result.duration_s else 0
    lines.append(
        f"Requests: {result.requests:,}  tokens: {result.tokens:,}  duration: {result.duration_s:.1f}s "
        f"({rate:,.0f} rows/s)"
    )
    if result.transform_s is not None:
        lines.append(f"Readable views and marts rebuilt in schema pipedrive in {result.transform_s:.1f}s")
    return lines
