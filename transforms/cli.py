"""`pipedrive-sync transform`: rebuild the readable views and marts of a DuckDB file."""

import click

from shared.warehouse import DEFAULT_DUCKDB_PATH
from transforms import DEFAULT_COLUMN_NAMES_FILE


@click.command("transform")
@click.option(
    "--duckdb", "duckdb_path", default=DEFAULT_DUCKDB_PATH, show_default=True, help="DuckDB file to build."
)
@click.option(
    "--column-names",
    "column_names_path",
    default=DEFAULT_COLUMN_NAMES_FILE,
    show_default=True,
    help="Optional TOML file pinning column names per custom-field key.",
)
def transform_command(duckdb_path: str, column_names_path: str) -> None:
    """Build schemas `pipedrive_staging` and `pipedrive` from `pipedrive_raw`.

    The sync runs this after every run; run it yourself after editing the pinning file.

    \b
    Example:
      pipedrive-sync transform --duckdb crm.duckdb
    """
    from transforms.runner import ModelCheckError, run_transforms

    try:
        result = run_transforms(duckdb_path, column_names_path)
    except ModelCheckError as error:
        raise click.ClickException(str(error)) from None  # `Error: ...`, exit code 1
    custom = sum(result.custom_columns.values())
    click.echo(
        f"Built {len(result.views)} views in schema pipedrive ({custom} custom-field columns) "
        f"in {result.duration_s:.2f}s"
    )
    if result.missing_raw_tables:
        click.echo(f"Raw tables not synced yet (read as empty): {', '.join(result.missing_raw_tables)}")
