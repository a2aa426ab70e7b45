"""Read rule files, check them as a whole and against the config, fail with file and line."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from bot import yamlfile
from bot.config import Config
from bot.models import Severity
from rules.model import Composite, GroupDim, NewTopic, RuleFile

MATCHER_FIELDS = ("severity", "rule", "department")  # besides labels, what inhibit/silence matchers compare
GROUP_DIMS = get_args(GroupDim)


def files(*paths: str | Path) -> list[Path]:
    """The rule files named: files as given, folders as their *.yaml sorted by name."""
    found: list[Path] = []
    for path in map(Path, paths):
        found.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return found


def signature(*paths: str | Path) -> tuple:
    """Changes whenever a rule file is added, removed or written."""
    out = []
    for path in files(*paths):
        try:
            stat = path.stat()
            out.append((str(path), stat.st_mtime_ns, stat.st_size))
        except FileNotFoundError:
            out.append((str(path), None, None))
    return tuple(out)


class RuleSet(list):
    """The rules of a set of files (a list), with what is defined beside them: escalation chains,
    inhibit rules, silences and maintenance windows (from all files)."""

    escalations: dict
    inhibit: list
    silences: list
    maintenance: list


def load(folder: str | Path, cfg: Config | None = None) -> RuleSet:
    """All rules under folder (*.yaml, sorted by file name); raises YamlError with every problem."""
    return load_files(files(folder), cfg)


def load_files(paths: list[Path], cfg: Config | None = None) -> RuleSet:
    """The rules of these files, checked as one set; raises YamlError listing every problem."""
    problems: list[str] = []
    rules = RuleSet()
    rules.escalations, rules.inhibit, rules.silences, rules.maintenance = {}, [], [], []
    seen: dict[str, str] = {}  # rule name -> "file:line"
    located: dict[str, tuple[Path, dict, int]] = {}  # rule name -> (file, its lines, index)
    extras: list[tuple[Path, dict, RuleFile]] = []
    for path in paths:
        try:
            parsed, lines = yamlfile.load_text_with_lines(path.read_text(encoding="utf-8"), str(path), RuleFile)
        except OSError as e:
            problems.append(f"{path}: cannot read: {e.strerror}")
            continue
        except yamlfile.YamlError as e:
            problems.extend(e.problems)
            continue
        for i, chain in enumerate(parsed.escalations):
            if chain.name in rules.escalations:
                where = yamlfile.line_of(lines, ("escalations", i))
                problems.append(f"{path}:{where}: escalations[{i}].name: '{chain.name}' is defined twice")
            rules.escalations[chain.name] = chain
        for i, rule in enumerate(parsed.rules):
            rule = with_defaults(rule, parsed.defaults)
            where = f"{path}:{yamlfile.line_of(lines, ('rules', i))}"
            if rule.name in seen:
                problems.append(f"{where}: rules[{i}].name: '{rule.name}' is already defined in {seen[rule.name]}")
            seen[rule.name] = where
            located.setdefault(rule.name, (path, lines, i))
            if cfg is not None:
                problems.extend(f"{where}: rules[{i}]: {p}" for p in _check_names(rule, cfg))
            rules.append(rule)
        rules.inhibit += parsed.inhibit
        rules.silences += parsed.silences
        rules.maintenance += parsed.maintenance
        extras.append((path, lines, parsed))
    for rule in rules:  # chains may live in any file, so names are checked once all are read
        if rule.escalation != "default" and rule.escalation not in rules.escalations:
            known = ", ".join(sorted(rules.escalations)) or "none defined"
            problems.append(f"{seen[rule.name]}: escalation: unknown escalation '{rule.escalation}'; known: {known}")
    problems += _check_composites(rules, located)
    for path, lines, parsed in extras:
        problems += _check_noise(path, lines, parsed, rules, cfg)
    problems += _unique_maintenance(extras)
    if problems:
        raise yamlfile.YamlError(problems)
    return rules


def with_defaults(rule, defaults):
    """The rule with the file's defaults for every field it does not set itself."""
    update = {k: getattr(defaults, k) for k in defaults.model_fields_set
              if getattr(defaults, k) is not None and k not in rule.model_fields_set}
    return rule.model_copy(update=update) if update else rule


def _check_names(rule, cfg: Config) -> list[str]:
    """Names a rule uses must exist in config.yaml: a typo would silently never fire."""
    out = []
    known = {
        "topic": {t.name for t in cfg.topics},
        "region": {r.name for r in cfg.regions},
        "channel": {s.name for s in cfg.sources},
    }
    for dim, names in known.items():
        value = getattr(rule.match, dim)
        if value is not None and value not in names:
            out.append(f"match.{dim}: unknown {dim} '{value}'; known: {', '.join(sorted(names))}")
    departments = {d.name for d in cfg.departments}
    for d in rule.departments:
        if d not in departments:
            out.append(f"departments: unknown department '{d}'; known: {', '.join(sorted(departments))}")
    return out


def _check_composites(rules: RuleSet, located: dict) -> list[str]:
    """Composite rules name rules that exist, not themselves, and not in a circle."""
    out = []
    by_name = {r.name: r for r in rules}
    circles: set[frozenset] = set()
    for rule in rules:
        if not isinstance(rule, Composite):
            continue
        path, lines, i = located[rule.name]
        for key in ("all", "any"):
            for j, name in enumerate(getattr(rule, key)):
                where = f"{path}:{yamlfile.line_of(lines, ('rules', i, key, j))}: rules[{i}].{key}[{j}]"
                if name == rule.name:
                    out.append(f"{where}: a composite rule cannot name itself")
                elif name not in by_name:
                    out.append(f"{where}: unknown rule '{name}'{_hint(name, by_name)}")
        cycle = _cycle(rule.name, by_name)
        if cycle and cycle[0] == rule.name and frozenset(cycle) not in circles:
            circles.add(frozenset(cycle))
            out.append(f"{path}:{yamlfile.line_of(lines, ('rules', i))}: rules[{i}]: composite rules name each "
                       f"other in a circle: {' -> '.join(cycle)}")
        dims = {k for name in rule.components if name in by_name and name != rule.name
                for k in (*by_name[name].group_by, *by_name[name].match.dims())}
        for k in rule.group_by:
            if k not in dims:
                out.append(f"{path}:{yamlfile.line_of(lines, ('rules', i, 'group_by'))}: rules[{i}].group_by: "
                           f"none of its rules has a '{k}' label (by group_by or match)")
    return out


def _cycle(start: str, by_name: dict, path: tuple = ()) -> list[str] | None:
    """The first circle of composite references from `start`, as names ending where it began."""
    path = path + (start,)
    rule = by_name.get(start)
    if not isinstance(rule, Composite):
        return None
    for name in rule.components:
        if name == start:
            continue  # naming itself is reported on its own
        if name in path:
            return [*path[path.index(name):], name]
        found = _cycle(name, by_name, path)
        if found:
            return found
    return None


def _check_noise(path: Path, lines: dict, parsed: RuleFile, rules: RuleSet, cfg: Config | None) -> list[str]:
    """Inhibit rules, silences and maintenance windows: matchers that can match, real time zones,
    valid cron expressions, silences that end after they start."""
    out = []
    keys = set(MATCHER_FIELDS) | set(GROUP_DIMS) | {k for r in rules for k in r.labels}
    if any(isinstance(r, NewTopic) for r in rules):
        keys.add("emerging")  # the label naming an emerging topic
    values = {
        "severity": {s.value for s in Severity},
        "rule": {r.name for r in rules},
        "department": {d.name for d in cfg.departments} if cfg else None,
    }

    def matchers(loc: tuple, given: dict[str, str]) -> None:
        for key, value in given.items():
            where = f"{path}:{yamlfile.line_of(lines, loc + (key,))}: {yamlfile.describe(loc + (key,))}"
            if key not in keys:
                out.append(f"{where}: unknown label '{key}'{_hint(key, keys)}; known: {', '.join(sorted(keys))}")
            elif values.get(key) is not None and value not in values[key]:
                out.append(f"{where}: unknown {key} '{value}'{_hint(value, values[key])}")

    for i, inhibit in enumerate(parsed.inhibit):
        matchers(("inhibit", i, "source"), inhibit.source)
        matchers(("inhibit", i, "target"), inhibit.target)
        for j, key in enumerate(inhibit.equal):
            if key not in keys:
                where = f"{path}:{yamlfile.line_of(lines, ('inhibit', i, 'equal', j))}: inhibit[{i}].equal[{j}]"
                out.append(f"{where}: unknown label '{key}'{_hint(key, keys)}")
    for kind, items in (("silences", parsed.silences), ("maintenance", parsed.maintenance)):
        for i, item in enumerate(items):
            matchers((kind, i, "matchers"), item.matchers)
            tz = _zone(item.timezone)
            if tz is None:
                where = f"{path}:{yamlfile.line_of(lines, (kind, i, 'timezone'))}: {kind}[{i}].timezone"
                out.append(f"{where}: unknown time zone '{item.timezone}' (an IANA name like Europe/Berlin)")
            if kind == "maintenance" and not croniter.is_valid(item.cron):
                where = f"{path}:{yamlfile.line_of(lines, (kind, i, 'cron'))}: {kind}[{i}].cron"
                out.append(f"{where}: '{item.cron}' is not a cron expression (minute hour day month weekday, "
                           "e.g. '0 2 * * sun')")
            if kind == "silences" and tz is not None and item.starts is not None:
                starts, ends = item.span(now=0)
                if ends <= starts:
                    where = f"{path}:{yamlfile.line_of(lines, (kind, i, 'ends'))}: {kind}[{i}].ends"
                    out.append(f"{where}: must be after starts")
    return out


def _unique_maintenance(extras: list) -> list[str]:
    out, seen = [], {}
    for path, lines, parsed in extras:
        for i, window in enumerate(parsed.maintenance):
            where = f"{path}:{yamlfile.line_of(lines, ('maintenance', i))}"
            if window.name in seen:
                out.append(f"{where}: maintenance[{i}].name: '{window.name}' is already defined in {seen[window.name]}")
            seen.setdefault(window.name, where)
    return out


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _hint(word: str, known) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
