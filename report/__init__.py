"""`pipedrive-sync report`: one self-contained HTML dashboard built from the marts.

`build_report` is imported on first use: the CLI lists the command without loading plotly."""

__all__ = ["build_report"]


def __getattr__(name: str):
    if name == "build_report":
        from report.build import build_report

        return build_report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
