"""Read rule files, check them as a whole and against the config, fail with file and line."""

from __future__ import annotations

from pathlib import Path

from bot import yamlfile
from bot.config import Config
from rules.model import RuleFile


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
    """The rules of a set of files (a list), with the escalation chains defined beside them."""

    escalations: dict


def load(folder: str | Path, cfg: Config | None = None) -> RuleSet:
    """All rules under folder (*.yaml, sorted by file name); raises YamlError with every problem."""
    return load_files(files(folder), cfg)


def load_files(paths: list[Path], cfg: Config | None = None) -> RuleSet:
    """The rules of these files, checked as one set; raises YamlError listing every problem."""
    problems: list[str] = []
    rules = RuleSet()
    rules.escalations = {}
    seen: dict[str, str] = {}
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
            where = f"{path}:{yamlfile.line_of(lines, ('rules', i))}"
            if rule.name in seen:
                problems.append(f"{where}: rules[{i}].name: '{rule.name}' is already defined in {seen[rule.name]}")
            seen[rule.name] = where
            if cfg is not None:
                problems.extend(f"{where}: rules[{i}]: {p}" for p in _check_names(rule, cfg))
            rules.append(rule)
    for rule in rules:  # chains may live in any file, so names are checked once all are read
        if rule.escalation != "default" and rule.escalation not in rules.escalations:
            known = ", ".join(sorted(rules.escalations)) or "none defined"
            problems.append(f"{seen[rule.name]}: escalation: unknown escalation '{rule.escalation}'; known: {known}")
    if problems:
        raise yamlfile.YamlError(problems)
    return rules


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
