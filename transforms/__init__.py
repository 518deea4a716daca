"""SQL transforms: raw Pipedrive tables -> staging views -> readable entity views and marts.

`run_transforms` is imported on first use: the CLI lists its commands without loading DuckDB."""

DEFAULT_COLUMN_NAMES_FILE = "column_names.toml"

__all__ = ["DEFAULT_COLUMN_NAMES_FILE", "TransformResult", "run_transforms"]


def __getattr__(name: str):
    if name in ("TransformResult", "run_transforms"):
        from transforms import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
