"""Sync commands: run, status, demo. Filled in by the sync issue."""

import click


@click.command()
def demo() -> None:
    """Start a local Pipedrive simulator and show that it serves data.

    \b
    Example:
      pipedrive-sync demo
    """
    from simulator.control import Simulator

    with Simulator.start(seed=1) as sim:
        click.echo(f"Simulator serving at {sim.base_url}")


def register_pipeline_commands(group: click.Group) -> None:
    group.add_command(demo)
