"""Strict YAML loading: every value remembers its line, every error names file and line."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
Loc = tuple[Any, ...]
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class YamlError(Exception):
    """One or more problems in a YAML file, each with file and line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _construct(node: yaml.Node, loc: Loc, lines: dict[Loc, int], path: str) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if key in out:
                raise YamlError([f"{path}:{key_node.start_mark.line + 1}: duplicate key '{key}'"])
            lines[loc + (key,)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, loc + (key,), lines, path)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(n, loc + (i,), lines, path) for i, n in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    return loader.construct_object(node, deep=True)


def parse(text: str, path: str) -> tuple[Any, dict[Loc, int]]:
    """Parse YAML text into plain data plus a map from location to line number."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise YamlError([f"{path}:{line}: not valid YAML: {getattr(e, 'problem', e)}"]) from None
    lines: dict[Loc, int] = {}
    if node is None:
        return {}, lines
    return _construct(node, (), lines, path), lines


def line_of(lines: dict[Loc, int], loc: Loc) -> int:
    """The line of the nearest enclosing location that has one."""
    while loc and loc not in lines:
        loc = loc[:-1]
    return lines.get(loc, 1)


def describe(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _expected_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """Walk the model along loc to list the keys allowed where an unknown key was found."""
    current: Any = model
    for part in loc[:-1]:
        current = _field_model(current, part)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _field_model(model: Any, part: Any) -> Any:
    import typing

    if isinstance(part, int) or not (isinstance(model, type) and issubclass(model, BaseModel)):
        # inside a list or dict: unwrap the element type
        return _unwrap(model)
    field = model.model_fields.get(part)
    return _unwrap_optional(field.annotation) if field else None


def _unwrap_optional(tp: Any) -> Any:
    import typing

    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) in (typing.Union, __import__("types").UnionType) and len(args) == 1:
        return args[0]
    return tp


def _unwrap(tp: Any) -> Any:
    import typing

    args = typing.get_args(tp)
    if typing.get_origin(tp) in (list, tuple) and args:
        return _unwrap_optional(args[0])
    if typing.get_origin(tp) is dict and len(args) == 2:
        return _unwrap_optional(args[1])
    return None


def format_errors(err: ValidationError, model: type[BaseModel], lines: dict[Loc, int], path: str) -> list[str]:
    """Turn pydantic errors into 'file:line: where: what' lines people can act on."""
    problems = []
    for e in err.errors():
        loc = tuple(e["loc"])
        line = line_of(lines, loc)
        if e["type"] == "extra_forbidden":
            expected = _expected_keys(model, loc)
            hint = difflib.get_close_matches(str(loc[-1]), expected, n=1)
            msg = f"unknown key '{loc[-1]}'"
            if hint:
                msg += f" (did you mean '{hint[0]}'?)"
            if expected:
                msg += f"; expected one of: {', '.join(expected)}"
        else:
            msg = e["msg"]
            if e["type"] not in ("missing", "value_error") and "input" in e and not isinstance(e["input"], (dict, list)):
                msg += f" (got {e['input']!r})"
        problems.append(f"{path}:{line}: {describe(loc)}: {msg}")
    return problems


def expand_env(data: Any, loc: Loc, lines: dict[Loc, int], path: str, problems: list[str]) -> Any:
    """Replace ${VAR} with the environment's value; an unset variable becomes None."""
    if isinstance(data, dict):
        return {k: expand_env(v, loc + (k,), lines, path, problems) for k, v in data.items()}
    if isinstance(data, list):
        return [expand_env(v, loc + (i,), lines, path, problems) for i, v in enumerate(data)]
    if isinstance(data, str) and loc and _is_secret(loc[-1]) and not _ENV.fullmatch(data):
        problems.append(f"{path}:{line_of(lines, loc)}: {describe(loc)}: secrets must come from the "
                        "environment: write ${SOME_ENV_VAR}, not the value itself")
        return None
    if isinstance(data, str) and "${" in data:
        whole = _ENV.fullmatch(data)
        if whole:
            return os.environ.get(whole.group(1)) or None
        return _ENV.sub(lambda m: os.environ.get(m.group(1), ""), data)
    return data


def _is_secret(key: Any) -> bool:
    return isinstance(key, str) and any(w in key for w in ("secret", "token", "password"))


def load(path: str | Path, model: type[M]) -> M:
    """Read a YAML file into `model`, or raise YamlError listing every problem with its line."""
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise YamlError([f"{path}: cannot read: {e.strerror}"]) from None
    return load_text(text, path, model)


def load_text(text: str, path: str, model: type[M]) -> M:
    data, lines = parse(text, path)
    if not isinstance(data, dict):
        raise YamlError([f"{path}:1: expected a mapping at the top level"])
    problems: list[str] = []
    data = expand_env(data, (), lines, path, problems)
    try:
        obj = model.model_validate(data, context={"path": path, "lines": lines})
    except ValidationError as e:
        raise YamlError(format_errors(e, model, lines, path)) from None
    if problems:
        raise YamlError(problems)
    return obj
