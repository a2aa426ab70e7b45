"""`sitroom rules test` and the simulation under it: rule tests in YAML, run on simulated time."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot import cli, config, ruletest
from bot.models import AlertStatus, Post, Scores
from bot.simulate import Simulation
from rules import loader

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "rules" / "tests" / "incidents_test.yaml"
T0 = 1_800_000_000 - 1_800_000_000 % 3600  # an hour boundary, as event time


@pytest.fixture
def cfg():
    return config.load(ROOT / "config.yaml")


@pytest.fixture
def run_cli(monkeypatch, capsys, tmp_path):
    """`sitroom ARGS` in this process: (exit code, stdout)."""
    monkeypatch.setenv("SITROOM_CONFIG", str(ROOT / "config.yaml"))
    monkeypatch.setenv("SITROOM_DATA_DIR", str(tmp_path / "data"))

    def run(*args):
        code = cli.main(list(args))
        return code, capsys.readouterr().out

    return run


def test_the_shipped_rule_tests_pass_through_the_command(tmp_path):
    env = {**os.environ, "SITROOM_CONFIG": str(ROOT / "config.yaml"), "SITROOM_DATA_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "bot", "rules", "test"], capture_output=True, text=True, cwd=ROOT,
                         timeout=60, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    cases = yaml.safe_load(SHIPPED.read_text())["tests"]
    assert [line for line in lines if line.startswith("✓")] == [f"✓ {SHIPPED}: {c['name']}" for c in cases]
    assert lines[-1] == f"{len(cases)} passed, 0 failed in 1 file(s)"


def test_every_shipped_rule_has_a_test_that_sees_it_fire():
    cases = yaml.safe_load(SHIPPED.read_text())["tests"]
    fired = {a["rule"] for c in cases for e in c["expect"] for a in e["firing"]}
    shipped = {r.name for r in loader.load_files([ROOT / "rules" / "incidents.yaml"])}
    assert shipped - fired == set(), "add a test to rules/tests/incidents_test.yaml"


def test_tests_with_given_scores_never_run_the_detectors(cfg):
    def no_detectors(posts):
        raise AssertionError(f"the detectors were asked to score {len(posts)} posts")

    assert ruletest.run([SHIPPED], cfg, no_detectors, report=lambda line: None) == 0


FAILING = """\
rule_files: [{rules}]
tests:
  - name: phishing pages someone
    posts:
      - {{at: 10m, every: 1m, repeat: 6, text: "Ist das echt? SMS angeblich von Telvia", language: de}}
    expect:
      - at: 20m
        firing: [{{rule: phishing-wave, departments: [security], severity: warning}}]
      - at: 30m
        firing: [{{rule: phishing-wave}}]
"""


def test_a_failing_expectation_exits_1_showing_expected_against_got(tmp_path, run_cli):
    path = tmp_path / "phishing_test.yaml"
    path.write_text(FAILING.format(rules=ROOT / "rules" / "incidents.yaml"))
    code, out = run_cli("rules", "test", str(path))
    assert code == 1
    assert out.splitlines() == [
        f"✗ {path}: phishing pages someone",
        "  at 20m (2026-01-05 00:20):",
        "    expected: phishing-wave → security (warning)",
        "    got:      phishing-wave → security (critical, current 6)",
        "    - missing:    phishing-wave → security (warning)",
        "    + unexpected: phishing-wave → security (critical, current 6)",
        "0 passed, 1 failed in 1 file(s)",
    ]


BAD = """\
rule_files: [{rules}]
tests:
  - name: typos
    posts:
      - {{at: 0m, evry: 1m, text: x}}
      - {{at: 5 minutes, text: y}}
      - {{at: 0m, every: 1m, text: z}}
    expect:
      - {{at: 10m, firing: []}}
"""


def test_a_bad_test_file_exits_2_naming_file_and_line(tmp_path, run_cli):
    path = tmp_path / "bad_test.yaml"
    path.write_text(BAD.format(rules=ROOT / "rules" / "incidents.yaml"))
    code, out = run_cli("rules", "test", str(path))
    assert code == 2
    lines = out.splitlines()
    assert lines[0].startswith(f"{path}:5: tests[0].posts[0].evry: unknown key 'evry' (did you mean 'every'?)")
    assert lines[1] == f"{path}:6: tests[0].posts[1].at: '5 minutes' is not a duration; write it like 90s, 15m, 2h, 7d or 1h30m"
    assert lines[2] == (f"{path}:7: tests[0].posts[2]: a series with `every` needs exactly one of "
                        "`repeat` (how many) or `until` (an offset)")


def test_unknown_names_are_errors_with_their_line(tmp_path, run_cli):
    path = tmp_path / "names_test.yaml"
    path.write_text(
        f"rule_files: [{ROOT / 'rules' / 'incidents.yaml'}]\ntests:\n  - name: n\n    posts:\n"
        "      - {at: 0m, text: x, topic: outage}\n    expect:\n"
        "      - at: 1m\n        firing: [{rule: phishing-wav}]\n"
    )
    code, out = run_cli("rules", "test", str(path))
    assert code == 2
    assert out.splitlines()[:2] == [
        f"{path}:5: tests[0].posts[0].topic: unknown topic 'outage'; known: billing, contract_tariff, "
        "customer_service, device_recall, fiber_installation, network_outage, phishing",
        f"{path}:8: tests[0].expect[0].firing[0].rule: unknown rule 'phishing-wav'; known: channel-silent, "
        "device-recall-crisis, device-safety-rumour, network-outage-surge, new-topic, phishing-wave, recall-rumour-reach",
    ]


def test_rule_files_default_to_the_folder_above_the_tests(tmp_path, run_cli):
    (tmp_path / "tests").mkdir()
    (tmp_path / "mine.yaml").write_text(
        "rules:\n  - {name: refunds, type: keyword, any: [erstattung], min_count: 2, departments: [care]}\n")
    (tmp_path / "tests" / "mine_test.yaml").write_text(
        "tests:\n  - name: two refund posts\n    posts:\n"
        "      - {at: 0m, every: 1m, repeat: 2, text: Erstattung bitte, language: de}\n"
        "    expect:\n      - {at: 1m, firing: []}\n      - {at: 2m, firing: [{rule: refunds, departments: [care]}]}\n")
    code, out = run_cli("rules", "test", str(tmp_path / "tests"))
    assert (code, out.splitlines()[-1]) == (0, "1 passed, 0 failed in 1 file(s)")


def test_a_series_expands_to_its_posts():
    spec = ruletest.PostSpec(at="1h", every="30s", repeat=3, text="x")
    assert spec.times() == [3600, 3630, 3660]
    assert ruletest.PostSpec(at="10m", every="5m", until="25m").times() == [600, 900, 1200]
    assert ruletest.PostSpec(at=0).times() == [0]


def test_posts_without_scores_are_scored_by_the_real_detectors(tmp_path, cfg, scorer):
    path = tmp_path / "real_test.yaml"
    path.write_text(
        f"rule_files: [{ROOT / 'rules' / 'incidents.yaml'}]\ntests:\n  - name: outage in Köln, as people write it\n"
        "    posts:\n"
        "      - {at: 0m, every: 30s, repeat: 12, text: 'Seit heute früh kein Netz in Köln, nur SOS auf dem Handy'}\n"
        "    expect:\n"
        "      - at: 10m\n        firing: [{rule: network-outage-surge, labels: {region: koeln_bonn}, departments: [network]}]\n"
    )
    scored = []

    def score(posts):
        scored.extend(posts)
        return scorer.score(posts)

    lines = []
    assert ruletest.run([path], cfg, score, report=lines.append) == 0, lines
    assert len(scored) == 12


def feed_outage(sim, start, n, every=30):
    posts = [Post("test", f"{start}-{i}", "x_support", "kein netz", start + i * every) for i in range(n)]
    scores = [Scores(language="de", sentiment="negative", topic="network_outage", region="koeln_bonn") for _ in posts]
    sim.feed(posts, scores)


def test_the_simulation_resolves_alerts_through_quiet_minutes(cfg):
    rules = [r for r in loader.load_files([ROOT / "rules" / "incidents.yaml"], cfg) if r.name == "network-outage-surge"]
    sim = Simulation(cfg, rules)
    feed_outage(sim, T0, 20)  # ten minutes of two reports a minute, then nothing at all
    sim.advance(T0 + 3 * 3600)
    (record,) = sim.records
    assert record.alert.rule == "network-outage-surge" and record.alert.status == AlertStatus.RESOLVED
    assert record.fired_at == T0 + 3 * 60 + 59  # the 8th report (min_count) came in minute 3
    # From minute 26 on, the 20-minute window holds fewer than 8 reports; resolve_after is 30 minutes.
    assert record.resolved_at == T0 + 55 * 60 + 59
    changes = [(c.change, c.at) for c in sim.timeline if c.change != "updated"]
    assert changes == [("fired", record.fired_at), ("resolved", record.resolved_at)]
    assert sim.firing() == []


def test_the_simulation_does_not_count_the_companys_own_posts(cfg):
    rules = loader.load_files([ROOT / "rules" / "incidents.yaml"], cfg)
    sim = Simulation(cfg, rules)
    posts = [Post("test", str(i), "x_support", "Achtung Phishing!", T0 + i * 60, author_id="u_telviahilfe")
             for i in range(10)]
    sim.feed(posts, [Scores(language="de") for _ in posts])
    sim.advance(T0 + 3600)
    assert (sim.posts, sim.counted, sim.records) == (10, 0, [])
    with pytest.raises(ValueError, match="event-time order"):
        feed_outage(sim, T0, 1)
