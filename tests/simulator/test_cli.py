import signal
import subprocess
import sys

import pytest
import requests
from click.testing import CliRunner

from pipelines.cli import main

pytestmark = pytest.mark.slow


def test_cli_starts_serves_and_stops_on_sigterm():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "--port",
            "0",
            "--seed",
            "3",
            "--deals",
            "25",
            "--persons",
            "10",
            "--token",
            "cli-token",
            "--plan",
            "growth",
            "--frozen-time",
            "--strict",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = process.stdout.readline().strip()  # the first stdout line is the URL, once serving
        assert base_url.startswith("http://127.0.0.1:")
        response = requests.get(
            f"{base_url}/api/v2/deals",
            headers={"x-api-token": "cli-token"},
            params={"limit": 500},
            timeout=10,
        )
        assert response.status_code == 200
        assert 0 < len(response.json()["data"]) <= 25
        assert response.headers["x-ratelimit-limit"] == "40"
        assert requests.get(f"{base_url}/api/v2/deals", timeout=10).status_code == 401
        off_spec = requests.get(
            f"{base_url}/api/v2/deals", headers={"x-api-token": "cli-token"}, params={"since": 1}, timeout=10
        )
        assert off_spec.status_code == 400  # --strict
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert "cli-token" not in stderr


def test_simulator_command_has_help_with_an_example():
    result = CliRunner().invoke(main, ["simulator", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "--latency-ms" in result.output and "--plan" in result.output
    assert "--strict" in result.output
