"""Rule files as admins meet them: the published schema, `sitroom rules lint`, and hot reload."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from rules import loader
from rules.model import json_schema

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "rules" / "rules.schema.json"
GOOD = "rules:\n  - name: extra\n    type: keyword\n    any: [stromausfall]\n    departments: [network]\n"


def test_published_schema_is_current_and_accepts_the_shipped_rules():
    assert json.loads(SCHEMA.read_text()) == json_schema(), "run: python -m rules.model > rules/rules.schema.json"
    for path in loader.files(ROOT / "rules"):
        jsonschema.validate(yaml.safe_load(path.read_text()), json_schema())
        assert path.read_text().startswith("# yaml-language-server: $schema=./rules.schema.json")


@pytest.mark.parametrize("bad", [
    {"rules": [{"name": "x", "type": "spiky", "departments": ["network"]}]},
    {"rules": [{"name": "x", "type": "spike", "departments": ["network"], "windw": "15m"}]},
    {"rules": [{"name": "x", "type": "spike", "departments": ["network"], "window": "15 minutes"}]},
])
def test_schema_rejects_what_the_loader_rejects(bad):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, json_schema())


def lint(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "bot", "rules", "lint", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=60, env={**os.environ, "SITROOM_CONFIG": str(ROOT / "config.yaml")})


def test_lint_passes_the_shipped_rules():
    run = lint()
    assert run.returncode == 0 and run.stdout.strip().endswith("file(s): OK")


def test_lint_lists_every_problem_with_file_and_line(tmp_path):
    (tmp_path / "a.yaml").write_text("rules:\n  - name: a\n    type: spike\n    window: 7 minutes\n    departments: [network]\n")
    (tmp_path / "b.yaml").write_text(GOOD.replace("[network]", "[nowhere]"))
    (tmp_path / "c.yaml").write_text(GOOD)  # the same rule name again
    run = lint(str(tmp_path), str(tmp_path / "missing.yaml"))
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert f"{tmp_path / 'a.yaml'}:4: rules[0].window: '7 minutes' is not a duration; write it like 90s, 15m, 2h, 7d or 1h30m" in lines
    assert any(line.startswith(f"{tmp_path / 'b.yaml'}:2: rules[0]: departments: unknown department 'nowhere'") for line in lines)
    assert any(line.startswith(f"{tmp_path / 'missing.yaml'}: cannot read") for line in lines)
    assert f"{tmp_path / 'c.yaml'}:2: rules[0].name: 'extra' is already defined in {tmp_path / 'b.yaml'}:2" in lines


def test_changed_rule_files_are_picked_up_and_broken_ones_change_nothing(ctx, tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    ctx.rules_path = folder
    ctx.rules_signature = loader.signature(folder)
    before = [r.name for r in ctx.rules]
    (folder / "zz.yaml").write_text(GOOD.replace("type: keyword", "type: keywrd"))
    ctx.follow_rules()
    ctx.follow_rules()  # a second worker noticing the same broken file does not warn again
    assert [r.name for r in ctx.rules] == before
    warnings = [m["text"] for m in ctx.store.chat_history("social")]
    assert len(warnings) == 1 and f"{folder / 'zz.yaml'}:3: rules[0].type: unknown type 'keywrd'" in warnings[0]
    (folder / "zz.yaml").write_text(GOOD)
    ctx.follow_rules()
    assert [r.name for r in ctx.rules] == before + ["extra"]
