"""Strict YAML loading: every value remembers its line, every error names file and line."""

from __future__ import annotations

import difflib
import os
import re
import types
import typing
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
    """Walk the model along pydantic's loc to list the keys allowed where an unknown key was found."""
    current: Any = model
    for part in loc[:-1]:
        current = _step(current, part)
        if current is None:
            return []
    current = next((m for m in _members(current) if isinstance(m, type) and issubclass(m, BaseModel)), None)
    if current is not None and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _members(tp: Any) -> list[Any]:
    """The types a (possibly Annotated, Optional or Union) annotation stands for."""
    if typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(tp) for m in _members(a) if m is not type(None)]
    return [tp]


def _step(tp: Any, part: Any) -> Any:
    members = _members(tp)
    if len(members) > 1 and isinstance(part, str):  # a tagged union: pydantic puts the tag in loc
        for m in members:
            tag = getattr(m, "model_fields", {}).get("type")
            if tag is not None and part in typing.get_args(tag.annotation):
                return m
        return None
    tp = members[0] if members else None
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        return typing.get_args(tp)[0]
    if origin is dict:
        return typing.get_args(tp)[1]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(part)
        return field.annotation if field else None
    return None


def _data_loc(data: Any, loc: Loc) -> Loc:
    """pydantic's loc without the union tags it inserts, i.e. the path in the YAML data."""
    out: list[Any] = []
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        elif isinstance(data, dict) and isinstance(part, str) and data.get("type") == part:
            continue  # the discriminator's tag
        else:
            data = None
        out.append(part)
    return tuple(out)


def format_errors(err: ValidationError, model: type[BaseModel], data: Any, lines: dict[Loc, int], path: str) -> list[str]:
    """Turn pydantic errors into 'file:line: where: what' lines people can act on."""
    problems = []
    for e in err.errors():
        raw_loc = tuple(e["loc"])
        loc = _data_loc(data, raw_loc)
        line = line_of(lines, loc)
        if e["type"] == "extra_forbidden":
            expected = _expected_keys(model, raw_loc)
            hint = difflib.get_close_matches(str(loc[-1]), expected, n=1)
            msg = f"unknown key '{loc[-1]}'"
            if hint:
                msg += f" (did you mean '{hint[0]}'?)"
            if expected:
                msg += f"; expected one of: {', '.join(expected)}"
        elif e["type"] in ("union_tag_invalid", "union_tag_not_found"):
            key = e["ctx"]["discriminator"].strip("'")
            loc += (key,)
            line = line_of(lines, loc)
            got = f"unknown {key} '{e['ctx']['tag']}'" if "tag" in e["ctx"] else f"'{key}' is missing"
            msg = f"{got}; expected one of: {e['ctx'].get('expected_tags', '')}"
        else:
            msg = e["msg"].removeprefix("Value error, ")
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
    return load_text_with_lines(text, path, model)[0]


def load_text_with_lines(text: str, path: str, model: type[M]) -> tuple[M, dict[Loc, int]]:
    """Like load_text, also returning the line of every location (for checks after validation)."""
    data, lines = parse(text, path)
    if not isinstance(data, dict):
        raise YamlError([f"{path}:1: expected a mapping at the top level"])
    problems: list[str] = []
    data = expand_env(data, (), lines, path, problems)
    try:
        obj = model.model_validate(data, context={"path": path, "lines": lines})
    except ValidationError as e:
        raise YamlError(format_errors(e, model, data, lines, path)) from None
    if problems:
        raise YamlError(problems)
    return obj, lines
