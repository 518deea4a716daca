"""Injected faults, off by default and seeded so a failing test replays the same way."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, replace

FAULT_KINDS = ("error", "reset", "truncate", "html", "slow_body")

HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    b"</h1></center><hr><center>cloudflare</center></body></html>\n"
)


@dataclass(frozen=True)
class FaultConfig:
    latency_ms: float = 0.0  # added to every response
    jitter_ms: float = 0.0  # plus uniform 0..jitter
    error_rate: float = 0.0  # share of JSON 500/502/503 answers
    error_statuses: tuple[int, ...] = (500, 502, 503)
    reset_rate: float = 0.0  # share of connections reset without an answer
    truncate_rate: float = 0.0  # share of bodies cut short (Content-Length promises more)
    html_rate: float = 0.0  # share of HTML error pages from a "proxy"
    html_status: int | None = None  # their status; None: the drawn error status if 5xx, else 502
    slow_body_rate: float = 0.0  # share of bodies dribbled out slowly
    slow_body_ms: float = 500.0  # how long a slow body takes in total
    path_prefix: str | None = None  # only requests whose path starts with this get faults
    seed: int = 0


class Faults:
    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        total = (
            config.error_rate
            + config.reset_rate
            + config.truncate_rate
            + config.html_rate
            + config.slow_body_rate
        )
        if total > 1.0:
            raise ValueError("fault rates add up to more than 1")
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)

    def update(self, **changes) -> FaultConfig:
        unknown = set(changes) - set(FaultConfig.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault settings {sorted(unknown)}")
        self.configure(replace(self.config, **changes))
        return self.config

    def draw(self, path: str) -> tuple[float, str | None, int]:
        """(delay seconds, fault kind or None, error status) for one request."""
        with self._lock:
            config = self.config
            delay = (config.latency_ms + self._rng.random() * config.jitter_ms) / 1000.0
            if config.path_prefix and not path.startswith(config.path_prefix):
                return delay, None, 0
            roll = self._rng.random()
            status = self._rng.choice(config.error_statuses) if config.error_statuses else 500
        rates = (
            config.error_rate,
            config.reset_rate,
            config.truncate_rate,
            config.html_rate,
            config.slow_body_rate,
        )
        for kind, rate in zip(
            FAULT_KINDS,
            rates,
            strict=True,
        ):
            if roll < rate:
                return delay, kind, status
            roll -= rate
        return delay, None, 0
