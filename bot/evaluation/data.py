"""Readers for labelled text: CSV/TSV with `text` and `label`, and the public sentiment sets.

Formats (`fmt`, "auto" tells them apart by the first line):
- table:     CSV or TSV with a header naming a `text` and a `label` column (quoted as Excel and
             pandas write them); the delimiter comes from the extension (.tsv/.tab) or the header.
- germeval:  GermEval 2017 TSV, `id, text, relevance, sentiment, aspects`, header optional.
- sb10k:     SB-10k, `tweet_id<TAB>label<TAB>text`, no header.
- potts:     PotTS, `label<TAB>text`, no header; its `mixed` rows are dropped (and counted):
             one document label cannot say "both", and the product has no such label.
- tweeteval: one text per line, with `labels` naming a file of 0/1/2 per line (0 negative,
             1 neutral, 2 positive; a mapping.txt beside the labels overrides that).
Every problem is reported as `file:line: what is wrong`.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from bot.sources import InputError

SENTIMENTS = ("negative", "neutral", "positive")
FORMATS = ("auto", "table", "germeval", "sb10k", "potts", "tweeteval")
_GERMEVAL_HEADER = ["id", "text", "relevance", "sentiment", "aspects"]
_TWEETEVAL_MAPPING = {"0": "negative", "1": "neutral", "2": "positive"}


class DataError(InputError):
    """A labelled file that cannot be read; each problem names file and line."""

    def __init__(self, path: str | Path, line: int | None, message: str):
        where = f"{path}:{line}" if line else str(path)
        super().__init__([f"{where}: {message}"])


@dataclass
class Labelled:
    """Texts and their labels, in file order, with what was left out and why."""

    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    format: str = "table"
    dropped: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.texts)

    def extend(self, other: "Labelled") -> None:
        self.texts += other.texts
        self.labels += other.labels
        for k, v in other.dropped.items():
            self.dropped[k] = self.dropped.get(k, 0) + v


def read_table(path: str | Path, columns: tuple[str, ...] = ("text", "label")) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row of a CSV/TSV file with a header naming `columns`."""
    path = Path(path)
    csv.field_size_limit(sys.maxsize)
    with _open(path) as f:
        header_line = f.readline()
        delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") or "\t" in header_line else ","
        f.seek(0)
        reader = csv.reader(f, delimiter=delimiter)
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            raise DataError(path, None, "the file is empty") from None
        missing = [c for c in columns if c not in header]
        if missing:
            raise DataError(path, 1, f"the header needs columns {', '.join(columns)}; missing: {', '.join(missing)}")
        index = {c: header.index(c) for c in columns}
        line = 1
        try:
            for row in reader:
                line = reader.line_num
                if not row or not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise DataError(path, line, f"expected {len(header)} fields as in the header, got {len(row)}")
                yield line, {c: row[i] for c, i in index.items()}
        except csv.Error as e:
            raise DataError(path, reader.line_num or line, f"not valid {'TSV' if delimiter == chr(9) else 'CSV'}: {e}") from None


def read_sentiment(path: str | Path, labels: str | Path | None = None, fmt: str = "auto") -> Labelled:
    """Read one labelled sentiment file in any of the formats above."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, "no such file")
    if fmt == "auto":
        fmt = "tweeteval" if labels else detect_format(path)
    if fmt == "tweeteval":
        if not labels:
            raise DataError(path, None, "the TweetEval format needs --labels LABELS (one 0/1/2 per line)")
        return _read_tweeteval(path, Path(labels))
    if fmt == "table":
        out = Labelled(format="table")
        for line, row in read_table(path):
            _add(out, path, line, row["text"], row["label"])
        return out
    if fmt not in ("germeval", "sb10k", "potts"):
        raise DataError(path, None, f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return _read_raw_tsv(path, fmt)


def detect_format(path: Path) -> str:
    """Which format a file is in, judged by its first line."""
    with _open(path) as f:
        first = f.readline().rstrip("\r\n")
    cells = [c.strip().lower() for c in first.split("\t")]
    commas = [c.strip().strip('"').lower() for c in first.split(",")]
    if "text" in cells and "label" in cells or "text" in commas and "label" in commas:
        return "table"
    if cells == _GERMEVAL_HEADER or len(cells) == 5 and cells[2] in ("true", "false"):
        return "germeval"
    if len(cells) >= 3 and cells[0].isdigit() and cells[1] in SENTIMENTS:
        return "sb10k"
    if len(cells) >= 2 and cells[0] in (*SENTIMENTS, "mixed"):
        return "potts"
    raise DataError(path, 1, "cannot tell the format: expected a header with `text` and `label` columns, "
                    "GermEval 2017, SB-10k or PotTS TSV (or give --labels for TweetEval, or --format)")


def _read_raw_tsv(path: Path, fmt: str) -> Labelled:
    """GermEval, SB-10k, PotTS: plain tab-separated lines, quotes are part of the text."""
    out = Labelled(format=fmt)
    with _open(path) as f:
        for line, raw in enumerate(f, 1):
            raw = raw.rstrip("\r\n")
            if not raw.strip():
                continue
            cells = raw.split("\t")
            if fmt == "germeval":
                if line == 1 and [c.strip().lower() for c in cells] == _GERMEVAL_HEADER:
                    continue
                if len(cells) != 5:
                    raise DataError(path, line, f"expected 5 tab-separated fields (id, text, relevance, sentiment, aspects), got {len(cells)}")
                text, label = cells[1], cells[3]
            elif fmt == "sb10k":
                if len(cells) < 3:
                    raise DataError(path, line, f"expected 3 tab-separated fields (tweet_id, label, text), got {len(cells)}")
                text, label = "\t".join(cells[2:]), cells[1]
            else:
                if len(cells) < 2:
                    raise DataError(path, line, f"expected 2 tab-separated fields (label, text), got {len(cells)}")
                text, label = "\t".join(cells[1:]), cells[0]
                if label.strip().lower() == "mixed":
                    out.dropped["mixed"] = out.dropped.get("mixed", 0) + 1
                    continue
            _add(out, path, line, text, label)
    return out


def _read_tweeteval(path: Path, labels: Path) -> Labelled:
    mapping = dict(_TWEETEVAL_MAPPING)
    beside = labels.parent / "mapping.txt"
    if beside.is_file():
        with _open(beside) as f:
            for line, raw in enumerate(f, 1):
                cells = raw.split()
                if not cells:
                    continue
                if len(cells) != 2 or cells[1].lower() not in SENTIMENTS:
                    raise DataError(beside, line, "expected `number<TAB>negative|neutral|positive`")
                mapping[cells[0]] = cells[1].lower()
    if not labels.is_file():
        raise DataError(labels, None, "no such file")
    with _open(path) as f:
        texts = [t.rstrip("\r\n") for t in f]
    with _open(labels) as f:
        codes = [c.strip() for c in f]
    while codes and not codes[-1]:
        codes.pop()
    if len(codes) != len(texts):
        raise DataError(labels, None, f"has {len(codes)} labels but {path} has {len(texts)} lines")
    out = Labelled(format="tweeteval")
    for line, (text, code) in enumerate(zip(texts, codes), 1):
        if code not in mapping:
            raise DataError(labels, line, f"label {code!r} is not one of {', '.join(sorted(mapping))}")
        _add(out, path, line, text, mapping[code])
    return out


def _add(out: Labelled, path: Path, line: int, text: str, label: str) -> None:
    label = label.strip().lower()
    if label not in SENTIMENTS:
        raise DataError(path, line, f"label {label!r} is not one of {', '.join(SENTIMENTS)}")
    text = text.strip()
    if not text:
        raise DataError(path, line, "the text is empty")
    out.texts.append(text)
    out.labels.append(label)


def _open(path: Path):
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as e:
        raise DataError(path, None, f"cannot read: {e.strerror}") from None
