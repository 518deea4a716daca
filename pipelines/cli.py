"""The one `pipedrive-sync` command line. Each area owns its commands; this file only assembles them."""

import click

from pipelines.commands import register_pipeline_commands
from report.cli import report_command
from shared.failures import EXIT_CODES_HELP
from simulator.cli import simulator_command
from transforms.cli import transform_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP)
@click.version_option(package_name="pipedrive-sync")
def main() -> None:
    """Copy a Pipedrive CRM into DuckDB and turn it into analyst-ready tables.

    \b
    Quick start:
      pipedrive-sync demo              # everything, against a local simulator
      pipedrive-sync run --help        # sync a real account
    """


main.add_command(simulator_command)
main.add_command(report_command)
main.add_command(transform_command)
register_pipeline_commands(main)
