"""Typed errors of the scoring engine. Every message is Chinese and names what is wrong."""

from __future__ import annotations


class ScoringError(ValueError):
    """Base of every error the engine raises on bad rules or bad input."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RuleError(ScoringError):
    """A stored rule, plan curve or grade rule is invalid; `field` names the offending key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}：{message}" if field else message)
        self.field = field


class InputError(ScoringError):
    """Indicators, targets, values or adjustments handed to the engine are inconsistent."""
