"""The NAB scorer (bot/evaluation/nabscore.py) on hand-computed cases, and `sitroom eval nab` on a tiny corpus."""

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from bot.evaluation import nabscore as ns

STANDARD = ns.PROFILES["standard"]
LOW_FP = ns.PROFILES["reward_low_FP_rate"]
LOW_FN = ns.PROFILES["reward_low_FN_rate"]


def sig(y):
    """The scaled sigmoid written out again, independently of the module."""
    return -1.0 if y > 3 else 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def detections(n, rows, value=1.0):
    s = np.zeros(n)
    s[list(rows)] = value
    return s


def test_sigma_reference_values():
    assert ns.sigma(-1) == pytest.approx(0.986614, abs=1e-6)
    assert ns.sigma(-0.5) == pytest.approx(0.848283, abs=1e-6)
    assert ns.sigma(0) == 0
    assert ns.sigma(1) == pytest.approx(-0.986614, abs=1e-6)
    assert ns.sigma(3.0001) == -1


def test_probation():
    assert ns.probation(100) == 15
    assert ns.probation(4032) == 604
    assert ns.probation(5000) == 750
    assert ns.probation(22695) == 750


WINDOW = [(40, 49)]  # 10 rows; a 100-row file has probation 15


def test_first_row_of_a_window_earns_a_full_true_positive():
    assert ns.score_file(detections(100, [40]), WINDOW, STANDARD, 0.5).raw == pytest.approx(1.0)


def test_later_rows_of_a_window_earn_less():
    # row 49 is the last: y = -(49 - 49 + 1) / 10
    expected = sig(-0.1) / sig(-1)
    assert ns.score_file(detections(100, [49]), WINDOW, STANDARD, 0.5).raw == pytest.approx(expected)
    assert 0.24 < expected < 0.26


def test_only_the_best_detection_of_a_window_counts():
    got = ns.score_file(detections(100, [41, 45, 48]), WINDOW, STANDARD, 0.5)
    assert got.raw == pytest.approx(sig(-0.9) / sig(-1))
    assert (got.tp, got.fp, got.hit_windows) == (3, 0, 1)
    assert got.fn == 7  # rows of the window without a detection


def test_a_missed_window_costs_the_false_negative_weight():
    assert ns.score_file(np.zeros(100), WINDOW, STANDARD, 0.5).raw == -1.0
    assert ns.score_file(np.zeros(100), WINDOW, LOW_FN, 0.5).raw == -2.0


def test_false_positives_before_and_long_after_a_window_cost_the_full_weight():
    got = ns.score_file(detections(100, [20, 90]), WINDOW, STANDARD, 0.5)
    # both windows' penalties: missed window -1, row 20 -0.11, row 90 (> 3 widths after) -0.11
    assert got.raw == pytest.approx(-1.0 - 0.11 - 0.11)
    assert ns.score_file(detections(100, [20]), WINDOW, LOW_FP, 0.5).raw == pytest.approx(-1.0 - 0.22)


def test_a_false_positive_just_after_a_window_costs_less():
    # row 52: y = (52 - 49) / (10 - 1)
    got = ns.score_file(detections(100, [40, 52]), WINDOW, STANDARD, 0.5).raw
    assert got == pytest.approx(1.0 + 0.11 * sig(3 / 9))
    assert 1.0 - 0.11 < got < 1.0


def test_rows_in_the_probationary_period_count_for_nothing():
    assert ns.score_file(detections(100, [3, 14]), WINDOW, STANDARD, 0.5).raw == -1.0
    assert ns.score_file(detections(100, [15]), WINDOW, STANDARD, 0.5).raw == pytest.approx(-1.11)


def test_between_two_windows_the_previous_window_sets_the_penalty():
    windows = [(40, 49), (70, 74)]
    got = ns.score_file(detections(100, [60]), windows, STANDARD, 0.5).raw
    assert got == pytest.approx(-2.0 + 0.11 * sig(11 / 9))


def test_normalisation_matches_the_published_worked_example():
    # SCORING.md: numenta, standard, raw 46.634 on 116 windows -> 70.10
    assert ns.normalise(46.634, 116, STANDARD) == pytest.approx(70.10, abs=0.005)
    assert ns.normalise(-116, 116, STANDARD) == 0
    assert ns.normalise(116, 116, STANDARD) == 100
    assert ns.normalise(-232, 116, LOW_FN) == 0
    assert ns.normalise(116, 116, LOW_FN) == 100


def test_sweep_picks_the_best_shared_threshold():
    a = np.zeros(100)
    a[40], a[20] = 0.9, 0.7  # a window hit at 0.9, a false positive at 0.7
    b = np.zeros(100)
    b[60] = 0.3  # the other file's window is found only from 0.3 down
    files = [(a, [(40, 49)]), (b, [(60, 69)])]
    # candidates: never -> -2; 0.9 -> 0; 0.7 -> -0.11; 0.3 -> 1.89; 0 -> everything else fires
    th, raw = ns.sweep(files, STANDARD)
    assert th == 0.3
    assert raw == pytest.approx(2.0 - 0.11)


def test_sweep_prefers_the_higher_threshold_on_ties():
    a = np.zeros(100)
    a[40], a[41] = 0.9, 0.8  # the second detection in the same window changes nothing
    th, raw = ns.sweep([(a, [(40, 49)])], STANDARD)
    assert (th, raw) == (0.9, pytest.approx(1.0))


def test_sweep_never_firing_is_a_candidate():
    a = np.zeros(100)
    a[20:30] = 0.9  # only false positives
    th, raw = ns.sweep([(a, [(40, 49)])], STANDARD)
    assert th == math.inf and raw == -1.0


def test_sweep_agrees_with_scoring_each_file():
    rng = np.random.default_rng(5)
    files = [(rng.random(300), [(100, 129), (200, 214)]), (rng.random(250) ** 3, [(90, 120)]), (rng.random(120), [])]
    for profile in ns.PROFILES.values():
        th, raw = ns.sweep(files, profile)
        assert raw == pytest.approx(sum(ns.score_file(s, w, profile, th).raw for s, w in files))
        for candidate in np.unique(np.concatenate([s for s, _ in files]))[::7]:
            assert raw >= sum(ns.score_file(s, w, profile, candidate).raw for s, w in files) - 1e-9


def test_window_rows_maps_timestamps_inclusively():
    stamps = [f"2015-01-01 00:{m:02d}:00" for m in range(10)]
    assert ns.window_rows(stamps, [["2015-01-01 00:02:00.000000", "2015-01-01 00:05:00.000000"]]) == [(2, 5)]


def test_load_profiles_reads_the_cost_matrix(tmp_path):
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps({"p": {"CostMatrix": {"tpWeight": 1, "fpWeight": 0.5, "fnWeight": 3, "tnWeight": 1}}}))
    assert ns.load_profiles(path) == {"p": ns.Profile(tp=1.0, fp=0.5, fn=3.0)}
    path.write_text(json.dumps({"p": {"CostMatrix": {"tpWeight": 1}}}))
    with pytest.raises(ValueError, match="profile 'p'"):
        ns.load_profiles(path)


def _tiny_corpus(root: Path) -> None:
    """Two 5-minute files: a level shift inside its window, and a quiet file without windows."""
    rng = np.random.default_rng(1)
    (root / "data" / "cat").mkdir(parents=True)
    (root / "labels").mkdir()
    start = np.datetime64("2015-01-01T00:00")
    stamps = [str(start + np.timedelta64(5 * i, "m")).replace("T", " ") + ":00" for i in range(1200)]
    shifted = 10 + rng.normal(0, 1, 1200)
    shifted[900:] += 25
    quiet = 10 + rng.normal(0, 1, 1200)
    for name, values in (("shift.csv", shifted), ("quiet.csv", quiet)):
        rows = ["timestamp,value"] + [f"{s},{v:.4f}" for s, v in zip(stamps, values)]
        (root / "data" / "cat" / name).write_text("\n".join(rows) + "\n")
    windows = {"cat/shift.csv": [[stamps[860] + ".000000", stamps[940] + ".000000"]], "cat/quiet.csv": []}
    (root / "labels" / "combined_windows.json").write_text(json.dumps(windows))


def test_eval_nab_command_reports_both_thresholds(tmp_path, capsys):
    from bot.cli import main

    _tiny_corpus(tmp_path)
    assert main(["eval", "nab", str(tmp_path), "--jobs", "1"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    result = json.loads(out[-1])
    assert result["files"] == 2
    assert set(result["deployed"]) == set(result["optimised"]) == set(ns.PROFILES)
    # a missed window would score 0 or less here: the shift is found in its window
    assert 50 < result["deployed"]["standard"] <= 100
    assert result["optimised"]["standard"] >= result["deployed"]["standard"]
    assert any(line.startswith("total") for line in out)


def test_eval_nab_names_a_bad_csv_line(tmp_path, capsys):
    from bot.cli import main

    _tiny_corpus(tmp_path)
    path = tmp_path / "data" / "cat" / "quiet.csv"
    lines = path.read_text().splitlines()
    lines[5] = "2015-01-01 00:20:00,abc"
    path.write_text("\n".join(lines) + "\n")
    assert main(["eval", "nab", str(tmp_path), "--jobs", "1"]) == 2
    assert "quiet.csv:6" in capsys.readouterr().err


def _eval_data() -> Path | None:
    root = Path(os.environ.get("SITROOM_EVAL_DATA", "/work/shared/eval-data")) / "NAB"
    return root if (root / "labels" / "combined_windows.json").exists() else None


@pytest.mark.skipif(_eval_data() is None, reason="no NAB data (set SITROOM_EVAL_DATA)")
@pytest.mark.parametrize("name", ["realKnownCause/nyc_taxi.csv", "artificialWithAnomaly/art_daily_jumpsup.csv"])
def test_real_files_null_and_perfect_detectors(name):
    from bot.evaluation.nab import read_series

    root = _eval_data()
    stamps, _, _ = read_series(root / "data" / name)
    raw_windows = json.loads((root / "labels" / "combined_windows.json").read_text())[name]
    windows = ns.window_rows(stamps, raw_windows)
    assert len(windows) == len(raw_windows)
    labels = json.loads((root / "labels" / "combined_labels.json").read_text())[name]
    for label in labels:  # every labelled point lies in its window
        row = stamps.index(label.split(".")[0])
        assert any(lo <= row <= hi for lo, hi in windows)
    n = len(stamps)
    perfect = np.zeros(n)
    for lo, _ in windows:
        perfect[lo] = 1.0
    for profile in ns.PROFILES.values():
        assert ns.score_file(np.zeros(n), windows, profile, 0.5).raw == -profile.fn * len(windows)
        got = ns.score_file(perfect, windows, profile, 0.5).raw
        assert ns.normalise(got, len(windows), profile) == pytest.approx(100)
