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
    help="TOML file pinning column names per custom-field key (optional unless given).",
)
@click.pass_context
def transform_command(ctx: click.Context, duckdb_path: str, column_names_path: str) -> None:
    """Build schemas `pipedrive_staging` and `pipedrive` from `pipedrive_raw`.

    The sync runs this after every run; run it yourself after editing the pinning file.

    \b
    Example:
      pipedrive-sync transform --duckdb crm.duckdb
    """
    from shared.failures import one_line_errors
    from shared.warehouse import check_existing_database
    from transforms.naming import load_pinned_columns
    from transforms.runner import ModelCheckError, run_transforms

    named = ctx.get_parameter_source("column_names_path") is not click.core.ParameterSource.DEFAULT
    with one_line_errors():
        check_existing_database(duckdb_path)  # never create an empty database from a typo
        load_pinned_columns(column_names_path, required=named)
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
