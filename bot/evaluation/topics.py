"""`sitroom eval topics FILE --topics TOPICS.yaml`: known-topic routing measured on labelled texts.

FILE is CSV or TSV with `text` and `label` columns; TOPICS.yaml holds `topics:` in the schema of
config.yaml's topics section. Each text is routed to one topic exactly as the workers do it
(language detection, then the topic detector with its keywords and calibrated similarity); a
text routed nowhere is predicted "none", which is right only where the label is "none" or empty.
Accuracy counts every text; macro-F1 averages the F1 of each label that occurs in FILE. The same
run scores two baselines: always the most frequent label, and the configured keywords alone.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

NONE = "none"


def add_arguments(parser) -> None:
    parser.add_argument("file", help="CSV or TSV with `text` and `label` columns (label: a topic name, or none/empty)")
    parser.add_argument("--topics", required=True, metavar="TOPICS.yaml",
                        help="topics as in config.yaml: name, title, description, keywords, examples")
    parser.add_argument("--model", help="sentence model: a packaged name, a folder or a Hugging Face name "
                                        "(default: the packaged MiniLM, as in config.yaml)")
    parser.add_argument("--organisation", default="", help="the company's name, as config.yaml's organisation")
    parser.add_argument("--confusions", type=int, default=10, metavar="N", help="how many confusions to list")


def run(args) -> int:
    from bot import yamlfile
    from bot.evaluation.data import DataError

    try:
        topics = load_topics(args.topics)
        texts, labels = read_labelled(args.file, {t.name for t in topics})
    except yamlfile.YamlError as e:
        raise SystemExit("\n".join(e.problems)) from None
    except DataError as e:
        raise SystemExit(str(e)) from None
    result = evaluate(texts, labels, topics, model=args.model, organisation=args.organisation)
    print(report(result, args.file, args.topics, args.confusions))
    print(json.dumps({"accuracy": result["accuracy"], "macro_f1": result["macro_f1"], "n": result["n"],
                      "baselines": {k: {"accuracy": v["accuracy"], "macro_f1": v["macro_f1"]}
                                    for k, v in result["baselines"].items()}}))
    return 0


def load_topics(path: str | Path):
    """The topics of a TOPICS.yaml file; raises YamlError with file:line for every problem."""
    from pydantic import field_validator

    from bot import yamlfile
    from bot.config import Strict, Topic

    class TopicsFile(Strict):
        topics: list[Topic]

        @field_validator("topics")
        @classmethod
        def _some_unique(cls, value: list[Topic]) -> list[Topic]:
            names = [t.name for t in value]
            if not names:
                raise ValueError("no topics: give at least one")
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"the name '{dupes[0]}' is used twice")
            return value

    return yamlfile.load(path, TopicsFile).topics


def read_labelled(path: str | Path, names: set[str]) -> tuple[list[str], list[str]]:
    """Texts and labels of FILE; every label must be a topic name or none (an empty label is none)."""
    from bot.evaluation.data import DataError, read_table

    texts, labels = [], []
    for line, row in read_table(path):
        text, label = row["text"].strip(), row["label"].strip().lower() or NONE
        if not text:
            raise DataError(path, line, "the text is empty")
        if label != NONE and label not in names:
            known = ", ".join(sorted(names))
            raise DataError(path, line, f"label {label!r} is not a topic of the topics file ({known}) nor none")
        texts.append(text)
        labels.append(label)
    if not texts:
        raise DataError(path, None, "no rows below the header")
    return texts, labels


def evaluate(texts: list[str], labels: list[str], topics, model: str | None = None, organisation: str = "") -> dict:
    """Route every text as the workers do; metrics for the detector and both baselines."""
    from bot.config import TopicSettings
    from bot.models import Post, Scores
    from detectors.embedder import Embedder
    from detectors.language import LanguageDetector
    from detectors.topics import TopicDetector

    settings = TopicSettings(model=model) if model else TopicSettings()
    languages = list(dict.fromkeys(lang for t in topics for lang in (*t.keywords, *t.examples))) or ["de", "en"]
    embedder = Embedder.load(settings.model)
    detector = TopicDetector(topics, embedder, settings.threshold, margin=settings.margin,
                             organisation=organisation, model_languages=settings.understood())
    posts = [Post(source="eval", id=str(i), channel="eval", text=t, created_at=0.0) for i, t in enumerate(texts)]
    scores = [Scores() for _ in posts]
    LanguageDetector(languages).score(posts, scores)
    detector.score(posts, scores)
    predicted = [s.topic or NONE for s in scores]
    keywords = TopicDetector(topics, None, settings.threshold)
    by_keyword = []
    for text in texts:
        hits = keywords.keyword_hits(text)
        best = keywords.route(hits, hits * 0, hits * 0)
        by_keyword.append(topics[best].name if best is not None else NONE)
    majority = Counter(labels).most_common(1)[0][0]
    result = metrics(labels, predicted)
    result["baselines"] = {"majority": metrics(labels, [majority] * len(labels)) | {"label": majority},
                           "keywords": metrics(labels, by_keyword)}
    result["languages"] = dict(Counter(s.language for s in scores))
    result["model"] = settings.model
    return result


def metrics(gold: list[str], predicted: list[str]) -> dict:
    """Accuracy, per-label precision/recall/F1 and their macro average over the labels in `gold`."""
    n = len(gold)
    per_label = {}
    for label in sorted(set(gold)):
        tp = sum(g == label and p == label for g, p in zip(gold, predicted))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        per_label[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    confusions = Counter((g, p) for g, p in zip(gold, predicted) if g != p)
    return {
        "n": n,
        "accuracy": round(sum(g == p for g, p in zip(gold, predicted)) / n, 4) if n else 0.0,
        "macro_f1": round(sum(v["f1"] for v in per_label.values()) / len(per_label), 4) if per_label else 0.0,
        "per_label": per_label,
        "confusions": confusions.most_common(),
    }


def report(result: dict, file: str, topics_file: str, confusions: int = 10) -> str:
    """The readable part of the output."""
    lines = [f"Known topics on {file} with {topics_file}: {result['n']} texts "
             f"(languages detected: {', '.join(f'{k} {v}' for k, v in sorted(result['languages'].items()))}; "
             f"model {result['model']})",
             "",
             f"{'':24} {'accuracy':>9} {'macro-F1':>9}",
             f"{'topic detector':24} {result['accuracy']:9.3f} {result['macro_f1']:9.3f}"]
    for name, b in result["baselines"].items():
        title = f"always {b['label']}" if name == "majority" else "keywords only"
        lines.append(f"{title[:24]:24} {b['accuracy']:9.3f} {b['macro_f1']:9.3f}")
    lines += ["", f"{'label':32} {'precision':>9} {'recall':>7} {'F1':>6} {'n':>6}"]
    for label, m in result["per_label"].items():
        lines.append(f"{label[:32]:32} {m['precision']:9.3f} {m['recall']:7.3f} {m['f1']:6.3f} {m['support']:6d}")
    if result["confusions"] and confusions > 0:
        lines += ["", "Most frequent confusions (label → predicted):"]
        for (gold, pred), count in result["confusions"][:confusions]:
            lines.append(f"  {count:5d}  {gold} → {pred}")
    return "\n".join(lines)
