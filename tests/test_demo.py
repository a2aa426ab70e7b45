"""The headless demo runs the whole scenario through the real pipeline and checks itself."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_headless_demo_catches_every_incident_and_nothing_else(tmp_path):
    env = {**os.environ, "SITROOM_DATA_DIR": str(tmp_path)}
    env.pop("REDIS_URL", None)
    run = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--headless", "--duration", "40", "--scale", "0.3"],
        capture_output=True, text=True, timeout=400, cwd=ROOT, env=env,
    )
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, run.stderr[-2000:]
    summary, alerts = lines[-1], lines[:-1]
    assert summary["incidents"] == 3
    assert summary["incidents_alerted_right_department"] == 3, summary
    assert summary["alerts_outside_incidents"] == 0, alerts
    assert run.returncode == 0
    assert {a["departments"][0] for a in alerts} >= {"network", "devices", "security"}
    outage = next(a for a in alerts if a["rule"] == "network-outage-surge")
    # The outage starts at 08:30; a loaded machine claims bigger batches, so allow its first hour.
    assert outage["labels"]["region"] == "koeln_bonn"
    assert "2026-11-16T08:30" <= outage["event_time"][:16] <= "2026-11-16T09:30", outage
