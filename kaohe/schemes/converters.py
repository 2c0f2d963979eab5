"""The `<scheme:ref>` URL part: "2026" names the year's official scheme, "s12" the scenario (模拟方案) with id 12."""

from __future__ import annotations


class SchemeRef:
    regex = r"[0-9]{4}|s[0-9]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: object) -> str:
        return str(value)
