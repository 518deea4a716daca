"""`pipedrive-sync report`: one self-contained HTML dashboard built from the marts."""

from report.build import build_report

__all__ = ["build_report"]
