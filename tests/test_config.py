"""config.yaml is validated strictly: every mistake names the file, the line and what was expected."""

import subprocess
import sys
from pathlib import Path

import pytest

from bot import config
from bot.yamlfile import YamlError

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = """\
organisation: Telvia
departments:
  - name: network
    title: Network Operations
    language: de
sources:
  - name: x_support
    platform: x
    account: "@TelviaHilfe"
"""


def load(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return config.load(path), path


def problems(tmp_path, text):
    with pytest.raises(YamlError) as err:
        load(tmp_path, text)
    return err.value.problems


def test_shipped_config_is_valid():
    cfg = config.load(ROOT / "config.yaml")
    assert {d.name for d in cfg.departments} >= {"network", "devices", "security"}
    assert cfg.topic("network_outage").keywords["de"]
    assert config.rules_dir(cfg) == ROOT / "rules"


def test_minimal_config_loads_with_defaults(tmp_path):
    cfg, _ = load(tmp_path, MINIMAL)
    assert cfg.server.port == 8080 and cfg.retention.posts == 7 * 86400


def test_unknown_key_names_line_and_suggests(tmp_path):
    text = MINIMAL.replace("    language: de\n", "    language: de\n    destinatons: {}\n")
    [problem] = problems(tmp_path, text)
    assert problem.startswith(f"{tmp_path / 'config.yaml'}:6: departments[0].destinatons: unknown key")
    assert "did you mean 'destinations'" in problem
    assert "expected one of: name, title, language, destinations" in problem


def test_wrong_type_names_line(tmp_path):
    text = MINIMAL + "server:\n  port: eighty\n"
    [problem] = problems(tmp_path, text)
    assert ":11: server.port:" in problem and "integer" in problem


def test_bad_language_and_duration(tmp_path):
    text = MINIMAL.replace("language: de", "language: fr") + "retention:\n  posts: 7 days\n"
    found = problems(tmp_path, text)
    assert any(":5: departments[0].language:" in p for p in found)
    assert any(":11: retention.posts:" in p and "is not a duration" in p for p in found)


def test_secrets_only_from_environment(tmp_path, monkeypatch):
    found = problems(tmp_path, MINIMAL + "secrets:\n  ingest_secret: hunter2\n")
    assert found == [f"{tmp_path / 'config.yaml'}:11: secrets.ingest_secret: secrets must come from the environment: write ${{SOME_ENV_VAR}}, not the value itself"]
    monkeypatch.setenv("MY_SECRET", "s3cret")
    cfg, _ = load(tmp_path, MINIMAL + "secrets:\n  ingest_secret: ${MY_SECRET}\n")
    assert cfg.secrets.ingest_secret == "s3cret"
    monkeypatch.delenv("MY_SECRET")
    cfg, _ = load(tmp_path, MINIMAL + "secrets:\n  ingest_secret: ${MY_SECRET}\n")
    assert cfg.secrets.ingest_secret is None


def test_duplicate_names_and_unknown_region(tmp_path):
    dup = MINIMAL + "  - name: x_support\n    platform: x\n    account: other\n"
    assert any("'x_support' is used twice" in p for p in problems(tmp_path, dup))
    bad_region = MINIMAL.replace('account: "@TelviaHilfe"', 'account: "@TelviaHilfe"\n    region: atlantis')
    assert any("region 'atlantis'" in p for p in problems(tmp_path, bad_region))


def test_duplicate_yaml_key_and_syntax_error(tmp_path):
    assert problems(tmp_path, MINIMAL + "organisation: Again\n") == [f"{tmp_path / 'config.yaml'}:10: duplicate key 'organisation'"]
    [problem] = problems(tmp_path, MINIMAL + "regions: [unclosed\n")
    assert ":11: not valid YAML" in problem or ":12: not valid YAML" in problem


def test_cli_refuses_to_start_with_a_bad_config(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(MINIMAL.replace("platform: x", "platform: myspace"))
    run = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(path), "ask", "help"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert run.returncode == 2
    assert "cannot start" in run.stderr and f"{path}:8: sources[0].platform" in run.stderr
