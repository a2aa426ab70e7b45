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

from bot import yamlfile
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


def test_a_rule_file_broken_while_running_keeps_the_last_good_rules_firing(ctx, drain, tmp_path):
    """End to end through the real worker: break a file, alerts keep coming from the last good set,
    the admins hear about it once with file and line; fix it, and the new set is live."""
    from bot import ingest
    from bot.context import Context
    from bot.models import Post

    folder = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    ctx.rules_path, ctx.rules_signature = folder, loader.signature(folder)
    (folder / "zz.yaml").write_text(GOOD.replace("    departments", "    window: 7 minutes\n    departments"))
    t0 = 1763283600.0
    ingest.accept(ctx, [Post("generic", f"o{i}", "x_support", "Kein Netz in Köln, Totalausfall!", t0 + i * 30)
                        for i in range(30)])
    drain()
    assert [a.rule for a in ctx.store.alerts()] == ["network-outage-surge"]  # the last good set fired
    other = Context.create(ROOT / "config.yaml", redis_url=ctx.redis_url)  # a second worker process
    other.rules_path, other.rules_signature = folder, ()
    other.follow_rules()
    warnings = [m["text"] for m in ctx.store.chat_history("social")]
    assert len(warnings) == 1 and f"{folder / 'zz.yaml'}:5: rules[0].window: '7 minutes' is not a duration" in warnings[0]
    (folder / "zz.yaml").write_text(GOOD)
    ingest.accept(ctx, [Post("generic", "s1", "fb_telvia", "Stromausfall und kein Internet", t0 + 1000)])
    drain()
    assert sorted(a.rule for a in ctx.store.alerts()) == ["extra", "network-outage-surge"]
    assert len(ctx.store.chat_history("social")) == 1


def write(folder, name, text):
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def test_file_defaults_apply_to_the_rules_of_that_file_that_do_not_set_them(tmp_path):
    a = write(tmp_path, "a.yaml", """defaults:
  resolve_after: 1h
  group_wait: 30s
  repeat_interval: 8h
rules:
  - name: plain
    type: keyword
    any: [stromausfall]
    departments: [network]
  - name: own
    type: keyword
    any: [blackout]
    resolve_after: 10m
    group_wait: 0s
    departments: [network]
""")
    b = write(tmp_path, "b.yaml", GOOD)
    plain, own, extra = loader.load_files([a, b])
    assert (plain.resolve_after, plain.group_wait, plain.repeat_interval) == (3600, 30, 8 * 3600)
    assert (own.resolve_after, own.group_wait, own.repeat_interval) == (600, 0, 8 * 3600)
    assert (extra.resolve_after, extra.group_wait, extra.repeat_interval) == (1800, 0, 4 * 3600)  # other file


def test_defaults_are_checked_like_the_fields_they_stand_for(tmp_path):
    a = write(tmp_path, "a.yaml", "defaults:\n  resolve_after: 90s\n  escalation: nowhere\n" + GOOD)
    with pytest.raises(yamlfile.YamlError) as err:
        loader.load_files([a])
    assert err.value.problems == [f"{a}:2: defaults.resolve_after: must be a whole number of minutes (aggregates are per minute)"]
    a.write_text("defaults:\n  escalation: nowhere\n" + GOOD)
    with pytest.raises(yamlfile.YamlError) as err:
        loader.load_files([a])
    assert err.value.problems[0].startswith(f"{a}:4: escalation: unknown escalation 'nowhere'")


COMPOSITES = """rules:
  - name: both
    type: composite
    all: [extra, nope, both]
    any: [circle]
    group_by: [region]
    departments: [network]
  - name: circle
    type: composite
    any: [round]
    departments: [network]
"""


def test_composite_references_are_checked_with_file_and_line(tmp_path):
    a = write(tmp_path, "a.yaml", COMPOSITES)
    b = write(tmp_path, "b.yaml", GOOD + "  - name: round\n    type: composite\n    all: [circle]\n    departments: [network]\n")
    with pytest.raises(yamlfile.YamlError) as err:
        loader.load_files([a, b])
    assert err.value.problems == [
        f"{a}:4: rules[0].all[1]: unknown rule 'nope'",
        f"{a}:4: rules[0].all[2]: a composite rule cannot name itself",
        f"{a}:6: rules[0].group_by: none of its rules has a 'region' label (by group_by or match)",
        f"{a}:8: rules[1]: composite rules name each other in a circle: circle -> round -> circle",
    ]


NOISE = """inhibit:
  - source: {severity: critical}
    target: {severity: warning}
    equal: [region]
  - source: {sevrity: critical, rule: extra}
    target: {severity: warnign, departmnet: network}
    equal: [regoin]
silences:
  - matchers: {topic: device_recall}
    starts: 2026-12-24 18:00
    ends: 2026-12-24 17:00
    by: sabine.krueger
    reason: Weihnachtsaktion
  - {matchers: {region: berlin}, ends: 2026-12-31 12:00, timezone: Europe/Berln, by: x, reason: y}
maintenance:
  - name: sunday-night
    cron: "0 2 * * sun"
    duration: 2h
    matchers: {channel: fb_telvia}
  - {name: broken, cron: "0 25 * * *", duration: 1h, timezone: Mars/Olympus, matchers: {department: nowhere}}
"""


def test_inhibit_silences_and_maintenance_are_checked_and_kept_on_the_rule_set(tmp_path):
    good = write(tmp_path, "a.yaml", GOOD + NOISE.split("  - source: {sevrity")[0] + "silences:\n"
                 "  - {matchers: {rule: extra}, ends: 2026-12-31 12:00, by: lena, reason: test}\n")
    other = write(tmp_path, "b.yaml", "maintenance:\n" + NOISE.split("maintenance:\n")[1].split("  - {name: broken")[0])
    rules = loader.load_files([good, other])
    assert [i.equal for i in rules.inhibit] == [["region"]]
    assert [s.matchers for s in rules.silences] == [{"rule": "extra"}]
    assert [m.name for m in rules.maintenance] == ["sunday-night"]
    bad = write(tmp_path, "c.yaml", GOOD + NOISE)
    run = lint(str(bad))
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        f"{bad}:10: inhibit[1].source.sevrity: unknown label 'sevrity' (did you mean 'severity'?); known: channel, "
        "department, language, region, rule, severity, topic",
        f"{bad}:11: inhibit[1].target.severity: unknown severity 'warnign' (did you mean 'warning'?)",
        f"{bad}:11: inhibit[1].target.departmnet: unknown label 'departmnet' (did you mean 'department'?); known: "
        "channel, department, language, region, rule, severity, topic",
        f"{bad}:12: inhibit[1].equal[0]: unknown label 'regoin' (did you mean 'region'?)",
        f"{bad}:16: silences[0].ends: must be after starts",
        f"{bad}:19: silences[1].timezone: unknown time zone 'Europe/Berln' (an IANA name like Europe/Berlin)",
        f"{bad}:25: maintenance[1].matchers.department: unknown department 'nowhere'",
        f"{bad}:25: maintenance[1].timezone: unknown time zone 'Mars/Olympus' (an IANA name like Europe/Berlin)",
        f"{bad}:25: maintenance[1].cron: '0 25 * * *' is not a cron expression (minute hour day month weekday, "
        "e.g. '0 2 * * sun')",
    ]


def test_a_flatline_rule_must_watch_a_known_channel(tmp_path):
    a = write(tmp_path, "a.yaml", "rules:\n  - name: quiet\n    type: flatline\n    match: {channel: x_suport}\n"
              "    departments: [social]\n")
    run = lint(str(a))
    assert run.returncode == 1 and run.stdout.startswith(f"{a}:2: rules[0]: match.channel: unknown channel 'x_suport'")
