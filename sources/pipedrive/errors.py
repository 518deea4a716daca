"""Errors that end a sync on purpose, each with a message a user can act on."""

from __future__ import annotations

from datetime import datetime

from shared.failures import UserError


class PipedriveError(UserError):
    """Base class; the message never contains the API token."""


class ConfigurationError(PipedriveError):
    """Missing or contradictory settings (no token, neither company_domain nor base_url)."""


class AuthenticationError(PipedriveError):
    """401: the token is wrong or revoked. Retrying cannot help."""


class BudgetExhaustedError(PipedriveError):
    """The daily token budget is spent: stop, keep what is loaded, resume after the reset."""

    def __init__(self, message: str, resets_at: datetime | None = None) -> None:
        super().__init__(message)
        self.resets_at = resets_at


class BudgetShareSpentError(BudgetExhaustedError):
    """This run spent its share of today's tokens (`max_budget_share`): stop as on a spent budget,
    leave the rest of the day's budget to the account's other integrations and the next runs."""


class RunInterrupted(PipedriveError):
    """A stop was asked for (Ctrl-C, SIGTERM): every wait of the run ends with this at once."""


class ApiError(PipedriveError):
    """A response that retries did not fix (4xx other than 401/429, or persistent 5xx/garbage)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class UnreachableError(ApiError):
    """No answer at all after every retry: refused, reset or timed-out connections, a refused TLS
    handshake. Unlike a server that answers with errors, this says the address is wrong or down."""
