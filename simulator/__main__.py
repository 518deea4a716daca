"""`python -m simulator --port 8765`: the same as `pipedrive-sync simulator`."""

from simulator.cli import simulator_command

simulator_command(prog_name="python -m simulator")
