"""`make bench`: our sync side by side with a dlt `rest_api` baseline and a fetch-and-parse floor,
against the simulator in its own process; the results are written to BENCHMARKS.md."""
