"""Typed errors the services raise; ``web`` turns each into a Chinese message and a 4xx status."""

from __future__ import annotations


class MarketError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class InvalidInput(MarketError):
    code = "invalid"
    status = 422


class InvalidInputs(InvalidInput):
    """Several mistakes in one submission, each with its field: a form shows every one at once, next to its field,
    and the API lists them all (``errors``) besides the first one's ``message`` and ``field``."""

    def __init__(self, problems: list[InvalidInput]) -> None:
        first = problems[0]
        more = f"（共 {len(problems)} 处需要修改）" if len(problems) > 1 else ""
        super().__init__(first.message + more, first.field)
        self.problems = problems

    def as_dict(self) -> dict:
        out = super().as_dict()
        out["error"]["errors"] = [{"field": p.field, "message": p.message} for p in self.problems]
        return out


class NotFound(MarketError):
    code = "not_found"
    status = 404


class NotAuthenticated(MarketError):
    code = "unauthenticated"
    status = 401


class PermissionDenied(MarketError):
    code = "forbidden"
    status = 403


class InvalidTransition(MarketError):
    """The document or item is not in a state that allows the action."""

    code = "invalid_state"
    status = 409


class Conflict(MarketError):
    """Someone else changed the same record first (for example the item was already lent)."""

    code = "conflict"
    status = 409


class Busy(MarketError):
    """The database could not be had in time (another write holds it); nothing was done. Try again later."""

    code = "busy"
    status = 503
    retry_after = 5  # seconds, sent as Retry-After


class TooManyAttempts(MarketError):
    code = "throttled"
    status = 429
