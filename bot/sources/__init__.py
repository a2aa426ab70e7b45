"""Sources: raw payloads (generic JSON, Facebook, X, replay files) into Posts, and their shared helpers."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from datetime import datetime
from typing import Any

from pydantic import ValidationError

# Unix seconds beyond this are year 5138+: almost always a milliseconds value sent by mistake.
_MAX_SECONDS = 1e11
_HEX = re.compile(r"[0-9a-fA-F]+")
_PLAIN = {"model_type": "expected an object", "dict_type": "expected an object", "model_attributes_type": "expected an object",
          "list_type": "expected a list", "tuple_type": "expected a list"}


class InputError(ValueError):
    """A payload that cannot be accepted; `problems` names each bad field by its path."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def verify_hmac_sha256(secret: str, body: bytes, header_value: str | None, prefix: str = "sha256=") -> bool:
    """True when header_value is prefix + the hex HMAC-SHA256 of body under secret."""
    if not secret or not header_value:
        return False
    value = header_value.strip()
    if not value.startswith(prefix):
        return False
    given = value[len(prefix):]
    # A digest of the wrong shape cannot match; checking first keeps compare_digest on ASCII.
    if len(given) != 64 or not _HEX.fullmatch(given):
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.lower())


def load_json(body: bytes | str) -> Any:
    """Decode a JSON body, or raise InputError naming the line and column of the mistake."""
    try:
        text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body
    except UnicodeDecodeError as e:
        raise InputError([f"body: not UTF-8 (byte {e.start})"]) from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise InputError([f"body: not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}"]) from None
    except ValueError as e:  # from _no_constant
        raise InputError([f"body: not valid JSON: {e}"]) from None


def _no_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON does not, and they poison aggregates.
    raise ValueError(f"{name} is not a JSON number")


def unix_seconds(value: Any) -> float:
    """An ISO 8601 time with timezone, or unix seconds, as unix seconds; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("expected an ISO 8601 time or unix seconds")
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"expected an ISO 8601 time or unix seconds (got {value!r})") from None
        if dt.tzinfo is None:
            raise ValueError(f"ISO 8601 time needs a timezone, e.g. 'Z' or '+01:00' (got {value!r})")
        return dt.timestamp()
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"expected unix seconds >= 0 (got {value!r})")
    if seconds > _MAX_SECONDS:
        raise ValueError(f"unix seconds too large; milliseconds? send seconds (got {value!r})")
    return seconds


def where(prefix: str, loc: tuple[Any, ...] | list[Any]) -> str:
    """A field path like posts[3].metrics.likes from a prefix and a pydantic location."""
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def problems(err: ValidationError, prefix: str = "", known: set[str] | None = None) -> list[str]:
    """Pydantic errors as 'path: what is wrong' lines; `known` field names power did-you-mean hints."""
    import difflib

    out = []
    for e in err.errors():
        loc = e["loc"]
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
            hint = difflib.get_close_matches(str(loc[-1]), sorted(known or ()), n=1)
            if hint:
                msg += f" (did you mean '{hint[0]}'?)"
        elif e["type"] == "missing":
            msg = "required field is missing"
        elif e["type"] in _PLAIN:  # pydantic's own words name Python types, not JSON ones
            msg = f"{_PLAIN[e['type']]} (got {_short(e.get('input'))})"
        elif e["type"] == "value_error":
            msg = str(e.get("ctx", {}).get("error", e["msg"]))
        else:
            msg = e["msg"]
            if "input" in e and not isinstance(e["input"], (dict, list)):
                msg += f" (got {_short(e['input'])})"
        out.append(f"{where(prefix, loc)}: {msg}")
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
