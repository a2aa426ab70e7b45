"""Durations as admins write them: 90s, 15m, 2h, 7d, 1h30m."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

_PART = re.compile(r"(\d+)(s|m|h|d|w)")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: object) -> int:
    """Seconds in a duration string like '1h30m'; plain numbers are seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like 15m, 2h or 7d")
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip().replace(" ", "")
    if not text or _PART.sub("", text):
        raise ValueError(f"'{value}' is not a duration; write it like 90s, 15m, 2h, 7d or 1h30m")
    return sum(int(n) * _UNIT[u] for n, u in _PART.findall(text))


def format_duration(seconds: float) -> str:
    """The shortest readable form: 5400 -> '1h30m'."""
    seconds = int(seconds)
    if seconds == 0:
        return "0s"
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out


_SCHEMA = {
    "anyOf": [{"type": "string", "pattern": r"^(\d+[smhdw])+$"}, {"type": "integer", "minimum": 0}],
    "description": "a duration like 90s, 15m, 2h, 7d or 1h30m (a plain number is seconds)",
}
Duration = Annotated[int, BeforeValidator(parse_duration), WithJsonSchema(_SCHEMA)]
