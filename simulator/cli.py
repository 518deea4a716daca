"""`pipedrive-sync simulator`: serve a generated Pipedrive company over HTTP until stopped."""

from __future__ import annotations

import signal
import threading

import click

from simulator import DEFAULT_COMPANY_DOMAIN, DEFAULT_COUNTS, DEFAULT_TOKEN, PLAN_BURST


@click.command("simulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=0, show_default=True, help="Port to listen on; 0 picks a free one.")
@click.option("--token", default=DEFAULT_TOKEN, show_default=True, help="The API token clients must send.")
@click.option("--seed", default=1, show_default=True, help="Same seed, same data.")
@click.option("--deals", type=int, help=f"Number of deals [default: {DEFAULT_COUNTS['deals']}].")
@click.option("--persons", type=int, help=f"Number of persons [default: {DEFAULT_COUNTS['persons']}].")
@click.option(
    "--organizations", type=int, help=f"Number of organizations [default: {DEFAULT_COUNTS['organizations']}]."
)
@click.option(
    "--activities", type=int, help=f"Number of activities [default: {DEFAULT_COUNTS['activities']}]."
)
@click.option("--products", type=int, help=f"Number of products [default: {DEFAULT_COUNTS['products']}].")
@click.option(
    "--deal-products",
    type=int,
    help=f"Products attached to deals [default: {DEFAULT_COUNTS['deal_products']}].",
)
@click.option("--leads", type=int, help=f"Number of leads [default: {DEFAULT_COUNTS['leads']}].")
@click.option("--notes", type=int, help=f"Number of notes [default: {DEFAULT_COUNTS['notes']}].")
@click.option("--users", type=int, help=f"Number of users [default: {DEFAULT_COUNTS['users']}].")
@click.option(
    "--plan",
    type=click.Choice(sorted(PLAN_BURST)),
    default=None,
    help="Enforce this plan's rate limits (burst window and daily token budget). Default: no limits.",
)
@click.option("--seats", default=1, show_default=True, help="Seats, multiplying the daily token budget.")
@click.option("--daily-budget", type=int, default=None, help="Daily token budget, overriding plan x seats.")
@click.option("--latency-ms", default=0.0, show_default=True, help="Latency added to every response.")
@click.option("--jitter-ms", default=0.0, show_default=True, help="Random extra latency, 0..N ms.")
@click.option("--error-rate", default=0.0, show_default=True, help="Share of JSON 500/502/503 answers.")
@click.option("--reset-rate", default=0.0, show_default=True, help="Share of connections reset.")
@click.option("--truncate-rate", default=0.0, show_default=True, help="Share of truncated bodies.")
@click.option("--html-rate", default=0.0, show_default=True, help="Share of HTML error pages.")
@click.option("--slow-body-rate", default=0.0, show_default=True, help="Share of slowly dribbled bodies.")
@click.option("--fault-seed", default=0, show_default=True, help="Seed of the fault dice.")
@click.option(
    "--strict",
    is_flag=True,
    help="Answer 400, as a strict API would, to query parameters and enum values that the official "
    "specs do not declare (the project's tests run this way). Default: accept them.",
)
@click.option(
    "--company-domain",
    default=DEFAULT_COMPANY_DOMAIN,
    show_default=True,
    help="The simulated company's domain (its id follows from it): another name is another account.",
)
@click.option(
    "--deleted-listing",
    type=click.Choice(["flagged", "hidden"]),
    default="flagged",
    show_default=True,
    help="Soft-deleted persons, organizations, activities and products: listed with is_deleted "
    "(flagged) or left out of their v2 lists (hidden). Deals keep status=deleted.",
)
@click.option(
    "--real-time/--frozen-time",
    default=True,
    show_default=True,
    help="Let the simulated clock follow the wall clock, or keep it frozen.",
)
def simulator_command(**options) -> None:
    """Serve a generated Pipedrive company (API v1 and v2) on a local port until Ctrl-C.

    Prints the base URL once it is ready; send the token in the `x-api-token` header.

    \b
    Example:
      pipedrive-sync simulator --port 8765 --seed 7 --deals 20000 --plan growth
      curl -H 'x-api-token: sim-api-token' 'http://127.0.0.1:8765/api/v2/deals?limit=2'
    """
    from simulator.control import Simulator

    count_names = (
        "deals",
        "persons",
        "organizations",
        "activities",
        "products",
        "deal_products",
        "leads",
        "notes",
        "users",
    )
    counts = {name: options[name] for name in count_names if options[name] is not None}
    sim = Simulator(
        seed=options["seed"],
        counts=counts,
        token=options["token"],
        plan=options["plan"],
        latency_ms=options["latency_ms"],
        host=options["host"],
        port=options["port"],
        follow_real_time=options["real_time"],
        seats=options["seats"],
        daily_budget=options["daily_budget"],
        strict=options["strict"],
        company_domain=options["company_domain"],
        deleted_listing=options["deleted_listing"],
    )
    sim.set_faults(
        latency_ms=options["latency_ms"],
        jitter_ms=options["jitter_ms"],
        error_rate=options["error_rate"],
        reset_rate=options["reset_rate"],
        truncate_rate=options["truncate_rate"],
        html_rate=options["html_rate"],
        slow_body_rate=options["slow_body_rate"],
        seed=options["fault_seed"],
    )

    def stop(signum, frame) -> None:
        threading.Thread(target=sim.server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    click.echo(f"Pipedrive simulator serving at {sim.base_url} (API at /api/v2, /api/v1, /v1)", err=True)
    click.echo(sim.base_url)
    try:
        sim.serve_forever()
    finally:
        sim.server.server_close()
