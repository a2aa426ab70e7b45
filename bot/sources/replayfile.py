"""Recorded post streams: JSONL of the generic format or CSV, read back as Posts (source "generic")."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

from bot.models import Post
from bot.sources import InputError
from bot.sources.generic import SOURCE, to_generic, validate_one

REQUIRED_COLUMNS = ["id", "channel", "text", "created_at"]
OPTIONAL_COLUMNS = ["author_id", "author_name", "followers", "likes", "shares", "replies",
                    "language", "url", "lat", "lon", "place", "in_reply_to"]
# Where a CSV column lands in the generic format, so that one validator serves both.
_NESTED = {"author_id": ("author", "id"), "author_name": ("author", "name"), "followers": ("author", "followers"),
           "likes": ("metrics", "likes"), "shares": ("metrics", "shares"), "replies": ("metrics", "replies"),
           "lat": ("geo", "lat"), "lon": ("geo", "lon")}
_COLUMN_OF = {v: k for k, v in _NESTED.items()}
_INTS = {"followers", "likes", "shares", "replies"}
_FLOATS = {"lat", "lon", "created_at"}


def read(path: str | Path) -> Iterator[Post]:
    """Posts from a .jsonl or .csv file (optionally .gz), lazily; InputError names file:line of a bad one."""
    path = Path(path)
    kind = path.name.removesuffix(".gz").rsplit(".", 1)[-1].lower()
    if kind not in ("jsonl", "ndjson", "csv"):
        raise InputError([f"{path}: unknown replay format; expected .jsonl, .ndjson or .csv (optionally .gz)"])
    try:
        f = _open(path, "r")
    except OSError as e:
        raise InputError([f"{path}: cannot read: {e.strerror}"]) from None
    return _lines(f, path, _read_csv if kind == "csv" else _read_jsonl)


def _lines(f: IO[str], path: Path, reader: Callable[[IO[str], Path], Iterator[Post]]) -> Iterator[Post]:
    # Lazy on purpose: recordings can be large. Posts before a bad line are already out;
    # replaying again is safe because ingest dedupes on (source, id).
    with f:
        yield from reader(f, path)


def write_jsonl(posts: Iterable[Post], path: str | Path) -> int:
    """Record posts as generic-format JSONL (gzip if the name ends in .gz); returns how many."""
    n = 0
    with _open(Path(path), "w") as f:
        for post in posts:
            f.write(json.dumps(to_generic(post), ensure_ascii=False) + "\n")
            n += 1
    return n


def _open(path: Path, mode: str) -> IO[str]:
    # utf-8-sig: spreadsheet exports start with a byte-order mark that would rename the first column.
    enc = "utf-8-sig" if mode == "r" else "utf-8"
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, mode + "b"), encoding=enc, newline="")
    return open(path, mode, encoding=enc, newline="")


def _read_jsonl(f: IO[str], path: Path) -> Iterator[Post]:
    for n, line in enumerate(f, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError([f"{path}:{n}:{e.colno}: not valid JSON: {e.msg}"]) from None
        if not isinstance(data, dict):
            raise InputError([f"{path}:{n}: expected one post object per line"])
        try:
            yield validate_one(data).to_post(SOURCE)
        except InputError as e:
            raise InputError([f"{path}:{n}: {p}" for p in e.problems]) from None


def _read_csv(f: IO[str], path: Path) -> Iterator[Post]:
    reader = csv.reader(f)
    header = next(reader, None)
    if header is None:
        return
    header = [h.strip() for h in header]
    bad = [f"{path}:1:{i + 1}: unknown column '{h}'" for i, h in enumerate(header)
           if h not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    bad += [f"{path}:1: missing column '{c}'" for c in REQUIRED_COLUMNS if c not in header]
    bad += [f"{path}:1:{i + 1}: column '{h}' appears twice" for i, h in enumerate(header) if h in header[:i]]
    if bad:
        raise InputError(bad)
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1  # a quoted cell may span lines; report where the row starts
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise InputError([f"{path}:{start}: {len(cells)} cells, but the header has {len(header)}"])
        try:
            yield validate_one(_row(dict(zip(header, cells)))).to_post(SOURCE)
        except InputError as e:
            raise InputError([_at_column(p, path, start, header) for p in e.problems]) from None


def _row(row: dict[str, str]) -> dict:
    """A CSV row as a generic-format object; empty cells are absent fields."""
    out: dict = {}
    for col, cell in row.items():
        if cell == "" and col != "text":  # an empty text is a post; an empty count is no count
            continue
        value = _number(cell, int) if col in _INTS else _number(cell, float) if col in _FLOATS else cell
        if col in _NESTED:
            group, key = _NESTED[col]
            out.setdefault(group, {})[key] = value
        else:
            out[col] = value
    return out


def _number(cell: str, kind: type) -> object:
    # A cell that is not a number stays text, so the validator reports it with the column.
    try:
        return kind(cell)
    except ValueError:
        return cell


def _at_column(problem: str, path: Path, line: int, header: list[str]) -> str:
    """Turn 'metrics.likes: msg' into 'file:line:col: likes: msg'."""
    field, _, msg = problem.partition(": ")
    parts = tuple(field.split("."))
    column = _COLUMN_OF.get(parts[:2], parts[0]) if len(parts) > 1 else parts[0]
    col = header.index(column) + 1 if column in header else 0
    return f"{path}:{line}:{col}: {column}: {msg}" if col else f"{path}:{line}: {column}: {msg}"
