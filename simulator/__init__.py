"""A faithful Pipedrive API (v1 + v2) over HTTP on loopback; `simulator.control.Simulator` runs it."""

DEFAULT_TOKEN = "sim-api-token"  # here, not in `control`: the CLI shows it without loading the server
