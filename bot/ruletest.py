"""`sitroom rules test`: rule unit tests in YAML — given these posts at these times, expect these alerts.

Each test runs its posts through bot.simulate (the rule engine on simulated time) and compares
the alerts firing at each expected time with the expected ones. See docs/rule-testing.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot import yamlfile
from bot.config import Config
from bot.durations import Duration, format_duration
from bot.models import Alert, Post, Scores, Severity
from bot.simulate import Simulation
from bot.yamlfile import YamlError
from rules import loader

DEFAULT_START = "2026-01-05T00:00:00"  # a Monday at midnight, in the configured time zone
SCORE_FIELDS = ("language", "sentiment", "topic", "region", "reach")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)  # a typo is an error with its line, not ignored


class PostSpec(Strict):
    """One post, or a series of them (`every` with `repeat` or `until`), at an offset from the test's start."""

    at: Duration = Field(ge=0)
    every: Duration | None = Field(None, gt=0)
    repeat: int | None = Field(None, ge=1)  # how many posts in the series
    until: Duration | None = None  # or: a post every `every` from `at` up to (not including) this offset
    text: str = ""
    channel: str | None = None  # default: the first source in config.yaml
    author: str = ""  # an author id; the company's own ids (own_author_ids) are not counted
    followers: int = 0
    likes: int = 0
    shares: int = 0
    replies: int = 0
    place: str | None = None
    # Scores: give any of these and the post is scored as given (the rest neutral);
    # give none and the real detectors score it.
    language: Literal["de", "en", "und"] | None = None
    sentiment: Literal["negative", "neutral", "positive"] | None = None
    topic: str | None = None
    region: str | None = None
    reach: float | None = Field(None, ge=0)  # default: the reach detector's estimate from followers, likes, ...

    @model_validator(mode="after")
    def _series(self) -> "PostSpec":
        if (self.repeat is not None or self.until is not None) and not self.every:
            raise ValueError("a series needs `every` (the time between its posts)")
        if self.every and (self.repeat is None) == (self.until is None):
            raise ValueError("a series with `every` needs exactly one of `repeat` (how many) or `until` (an offset)")
        if self.until is not None and self.until <= self.at:
            raise ValueError("`until` must be later than `at`")
        return self

    def times(self) -> list[int]:
        """Offsets of the posts this entry stands for."""
        if not self.every:
            return [self.at]
        if self.repeat is not None:
            return [self.at + i * self.every for i in range(self.repeat)]
        return list(range(self.at, self.until, self.every))

    def given(self) -> bool:
        return any(getattr(self, f) is not None for f in SCORE_FIELDS)


class AlertSpec(Strict):
    """An alert expected to be firing: the rule, and the labels, departments and severity given."""

    rule: str
    labels: dict[str, str] = {}  # these labels must be on the alert (it may have more)
    departments: list[str] | None = None  # exactly these (in any order), if given
    severity: Severity | None = None


class Expectation(Strict):
    """At this offset from the start, exactly these alerts are firing (fired and not yet resolved)."""

    at: Duration = Field(ge=0)
    firing: list[AlertSpec]


class RuleTest(Strict):
    name: str = Field(min_length=1)
    start: datetime | None = None  # default: the file's start
    posts: list[PostSpec] = []
    expect: list[Expectation] = Field(min_length=1)


class RuleTestFile(Strict):
    """A file of rule tests: the rule files they test, and the tests."""

    rule_files: list[str] | None = None  # relative to this file; default: the folder above it ("..")
    start: datetime | None = None  # default for every test: 2026-01-05 00:00 (a Monday) in config.yaml's time zone
    tests: list[RuleTest] = Field(min_length=1)


@dataclass
class Outcome:
    """One test's result: passed, or the differences per expected time."""

    name: str
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def load(path: Path, cfg: Config) -> tuple[RuleTestFile, list]:
    """A test file, the rules it tests and the names it uses checked; raises YamlError with file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise YamlError([f"{path}: cannot read: {e.strerror}"]) from None
    spec, lines = yamlfile.load_text_with_lines(text, str(path), RuleTestFile)
    sources = [path.parent / p for p in spec.rule_files] if spec.rule_files is not None else [path.parent.parent]
    rule_paths = loader.files(*sources)
    if not rule_paths:
        where = yamlfile.line_of(lines, ("rule_files",))
        hint = "" if spec.rule_files is not None else " (the folder above this file); name them with rule_files"
        raise YamlError([f"{path}:{where}: rule_files: no rule files in {', '.join(map(str, sources))}{hint}"])
    rules = loader.load_files(rule_paths, cfg)
    problems = _check_names(spec, rules, cfg, lines, str(path))
    if problems:
        raise YamlError(problems)
    return spec, rules


def _check_names(spec: RuleTestFile, rules: list, cfg: Config, lines, path: str) -> list[str]:
    """Names must exist, or a test would pass or fail for the wrong reason."""
    known = {
        "rule": {r.name for r in rules},
        "channel": {s.name for s in cfg.sources},
        "topic": {t.name for t in cfg.topics},
        "region": {r.name for r in cfg.regions},
        "department": {d.name for d in cfg.departments},
    }
    out = []

    def check(kind: str, value: str | None, loc: tuple) -> None:
        if value is not None and value not in known[kind]:
            where = yamlfile.line_of(lines, loc)
            out.append(f"{path}:{where}: {yamlfile.describe(loc)}: unknown {kind} '{value}'; "
                       f"known: {', '.join(sorted(known[kind]))}")

    for t, case in enumerate(spec.tests):
        for p, post in enumerate(case.posts):
            for kind in ("channel", "topic", "region"):
                check(kind, getattr(post, kind), ("tests", t, "posts", p, kind))
        for e, exp in enumerate(case.expect):
            for a, alert in enumerate(exp.firing):
                loc = ("tests", t, "expect", e, "firing", a)
                check("rule", alert.rule, loc + ("rule",))
                for d, dept in enumerate(alert.departments or []):
                    check("department", dept, loc + ("departments", d))
    return out


def run_case(case: RuleTest, index: int, spec: RuleTestFile, rules: list, cfg: Config,
             score: Callable[[list[Post]], list[Scores]]) -> Outcome:
    """Run one test through a fresh simulation; `score` scores the posts that give no scores."""
    tz = ZoneInfo(cfg.timezone)
    start = _timestamp(case.start or spec.start or datetime.fromisoformat(DEFAULT_START), tz)
    posts, scores = _expand(case, index, start, cfg, score)
    sim = Simulation(cfg, rules)
    sim.advance(start)
    outcome = Outcome(case.name)
    fed = 0
    for exp in sorted(case.expect, key=lambda e: e.at):
        until = start + exp.at
        upto = fed
        while upto < len(posts) and posts[upto].created_at < until:
            upto += 1
        sim.feed(posts[fed:upto], scores[fed:upto])
        fed = upto
        sim.advance(until)
        diff = compare(exp.firing, sim.firing())
        if diff:
            when = datetime.fromtimestamp(until, tz).strftime("%Y-%m-%d %H:%M")
            outcome.failures.append(f"at {format_duration(exp.at)} ({when}):\n" + "\n".join(diff))
    return outcome


def _expand(case: RuleTest, index: int, start: float, cfg: Config, score) -> tuple[list[Post], list[Scores]]:
    """The posts of a test in time order, with the scores given or found by the detectors."""
    from detectors.reach import ReachDetector

    reach = ReachDetector(cfg.detectors.reach)
    items: list[tuple[Post, Scores | None]] = []
    for p, spec in enumerate(case.posts):
        for i, offset in enumerate(spec.times()):
            post = Post(
                "test", f"{index}.{p}.{i}", spec.channel or cfg.sources[0].name, spec.text, start + offset,
                author_id=spec.author, followers=spec.followers, likes=spec.likes, shares=spec.shares,
                replies=spec.replies, place=spec.place,
            )
            given = None
            if spec.given():
                given = Scores(
                    language=spec.language or "und", sentiment=spec.sentiment or "neutral",
                    topic=spec.topic, topic_score=1.0 if spec.topic else 0.0, region=spec.region,
                    reach=spec.reach if spec.reach is not None else reach.reach(post),
                )
            items.append((post, given))
    items.sort(key=lambda item: item[0].created_at)
    unscored = [post for post, s in items if s is None]
    found = iter(score(unscored) if unscored else [])
    return [post for post, _ in items], [s if s is not None else next(found) for _, s in items]


def compare(expected: list[AlertSpec], firing: list[Alert]) -> list[str]:
    """Lines saying what is missing and what is unexpected; empty when they match one to one."""
    pairs = _match(expected, firing)
    missing = [e for i, e in enumerate(expected) if i not in pairs]
    matched = set(pairs.values())
    extra = [a for j, a in enumerate(firing) if j not in matched]
    if not missing and not extra:
        return []
    lines = ["    expected: " + ("; ".join(map(_describe_spec, expected)) or "nothing firing"),
             "    got:      " + ("; ".join(map(_describe_alert, firing)) or "nothing firing")]
    lines += [f"    - missing:    {_describe_spec(e)}" for e in missing]
    lines += [f"    + unexpected: {_describe_alert(a)}" for a in extra]
    return lines


def matches(spec: AlertSpec, alert: Alert) -> bool:
    return (
        spec.rule == alert.rule
        and all(alert.labels.get(k) == v for k, v in spec.labels.items())
        and (spec.departments is None or sorted(spec.departments) == sorted(alert.departments))
        and (spec.severity is None or spec.severity == alert.severity)
    )


def _match(expected: list[AlertSpec], firing: list[Alert]) -> dict[int, int]:
    """Pair each expected alert with a different firing one where possible (augmenting paths)."""
    owner: dict[int, int] = {}  # firing index -> expected index

    def place(i: int, seen: set[int]) -> bool:
        for j, alert in enumerate(firing):
            if j not in seen and matches(expected[i], alert):
                seen.add(j)
                if j not in owner or place(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(expected)):
        place(i, set())
    return {i: j for j, i in owner.items()}


def _describe_spec(spec: AlertSpec) -> str:
    out = spec.rule + "".join(f" {k}={v}" for k, v in spec.labels.items())
    if spec.departments is not None:
        out += " → " + ",".join(spec.departments)
    if spec.severity is not None:
        out += f" ({spec.severity.value})"
    return out


def _describe_alert(alert: Alert) -> str:
    labels = "".join(f" {k}={v}" for k, v in alert.labels.items())
    return f"{alert.rule}{labels} → {','.join(alert.departments)} ({alert.severity.value}, current {alert.current:g})"


def _timestamp(when: datetime, tz: ZoneInfo) -> float:
    return (when if when.tzinfo else when.replace(tzinfo=tz)).timestamp()


def run(paths: list[Path], cfg: Config, score: Callable[[list[Post]], list[Scores]],
        report: Callable[[str], None] = print) -> int:
    """Run every test in these files: 0 all passed, 1 a test failed, 2 a file is bad (the rest still run)."""
    bad = failed = passed = 0
    for path in paths:
        try:
            spec, rules = load(path, cfg)
        except YamlError as e:
            bad += 1
            for problem in e.problems:
                report(problem)
            continue
        for index, case in enumerate(spec.tests):
            outcome = run_case(case, index, spec, rules, cfg, score)
            if outcome.ok:
                passed += 1
                report(f"✓ {path}: {case.name}")
            else:
                failed += 1
                report(f"✗ {path}: {case.name}")
                for failure in outcome.failures:
                    report("  " + failure)
    summary = f"{passed} passed, {failed} failed"
    if bad:
        summary += f", {bad} bad file(s)"
    report(summary + f" in {len(paths)} file(s)")
    return 2 if bad else 1 if failed else 0
