"""`sitroom eval sentiment FILE`: accuracy, macro-F1 and macro-recall of the workers' sentiment.

The posts go through the same Scorer the workers build from config.yaml (language, topics and
their embeddings, sentiment), in batches of `detectors.batch_size`. `--model` overrides
`detectors.sentiment.model`; `--baseline` adds lexicon baselines measured on the same data.
"""

from __future__ import annotations

import json
import time

from bot.evaluation.data import FORMATS, SENTIMENTS, read_sentiment


def add_arguments(parser) -> None:
    parser.add_argument("path", metavar="FILE", help="CSV/TSV with text and label columns, GermEval 2017, SB-10k, PotTS, or TweetEval text")
    parser.add_argument("--labels", help="TweetEval: the labels file (0/1/2 per line) for the text FILE")
    parser.add_argument("--format", choices=FORMATS, default="auto", help="the file's format (default: told by its first line)")
    parser.add_argument("--model", help="instead of detectors.sentiment.model: default, lexicon, a head folder, a transformers folder or name")
    parser.add_argument("--baseline", action="store_true",
                        help="also measure always-neutral, our lexicon, and VADER (English) / textblob-de (German) when installed")


def run(args) -> int:
    data = read_sentiment(args.path, args.labels, args.format)
    if not len(data):
        print(f"{args.path}: no labelled rows")
        return 1
    scorer, model = build_scorer(args.model)
    started = time.perf_counter()
    predicted, languages = predict(scorer, data.texts)
    elapsed = time.perf_counter() - started
    result = metrics(data.labels, predicted)
    dropped = ", ".join(f"{n} {k}" for k, n in data.dropped.items())
    print(f"{args.path}: {len(data)} texts ({data.format}{'; dropped ' + dropped if dropped else ''}), model {model}")
    print(f"languages detected: {_counts(languages)}; {len(data) / max(elapsed, 1e-9):.0f} posts/s through the scorer")
    print(report(result))
    if seen := fitted_on(scorer, args.path):
        print(f"note: the head was fitted on {seen}: these figures are on its own training data, not held out "
              "(held-out figures: python -m bench.sentiment EVAL_DATA, docs/sentiment.md)")
    if args.baseline:
        print("\nbaselines on the same data:")
        for name, labels in lexicon_baselines(data.texts, languages).items():
            if not labels:
                print(f"  {name}")
                continue
            b = metrics(data.labels, labels)
            print(f"  {name:<28} accuracy {b['accuracy']:.3f}  macro-F1 {b['macro_f1']:.3f}  macro-recall {b['macro_recall']:.3f}")
    print(json.dumps({k: round(result[k], 4) for k in ("accuracy", "macro_f1", "macro_recall")} | {"n": result["n"]}))
    return 0


def fitted_on(scorer, path: str) -> str | None:
    """The training file of the scorer's sentiment head that has this file's name, if any."""
    from pathlib import Path

    head = next((getattr(d, "head", None) for d in scorer.detectors if d.name == "sentiment"), None)
    info = head.info.get("languages", {}) if head is not None else {}
    name = Path(path).name
    return next((f for lang in info.values() for f in lang.get("trained_on", []) if f.split(" (")[0] == name), None)


def build_scorer(model: str | None = None):
    """The workers' Scorer from config.yaml (built-in defaults without one); `model` overrides sentiment's."""
    import os

    from bot import config
    from detectors.embedder import Embedder
    from detectors.language import LanguageDetector
    from detectors.scorer import Scorer
    from detectors.sentiment import SentimentAnalyzer
    from detectors.topics import TopicDetector

    path = os.environ.get("SITROOM_CONFIG") or config.DEFAULT_PATH
    if os.path.exists(path):
        cfg = config.load(path)
        if model:
            sentiment = cfg.detectors.sentiment.model_copy(update={"model": os.path.abspath(model) if os.path.exists(model) else model})
            detectors = cfg.detectors.model_copy(update={"sentiment": sentiment})
            cfg = cfg.model_copy(update={"detectors": detectors})
        scorer = Scorer.from_config(cfg)
        scorer.batch_size = cfg.detectors.batch_size
        return scorer, model or cfg.detectors.sentiment.model
    settings = config.DetectorSettings()
    embedder = Embedder.load(settings.topics.model)
    model = model or settings.sentiment.model
    scorer = Scorer([LanguageDetector(("de", "en")), TopicDetector([], embedder),
                     SentimentAnalyzer(model, embedder, batch_size=settings.batch_size)])
    scorer.batch_size = settings.batch_size
    return scorer, model


def predict(scorer, texts: list[str]) -> tuple[list[str], list[str]]:
    """The sentiment label and detected language of each text, scored in the workers' batches."""
    from bot.models import Post

    size = getattr(scorer, "batch_size", 64)
    labels, languages = [], []
    for start in range(0, len(texts), size):
        posts = [Post(source="eval", id=str(start + i), channel="eval", text=t, created_at=0.0)
                 for i, t in enumerate(texts[start : start + size])]
        scores, _ = scorer.score_with_vectors(posts)
        labels += [s.sentiment for s in scores]
        languages += [s.language for s in scores]
    return labels, languages


def metrics(gold: list[str], predicted: list[str]) -> dict:
    """Accuracy (= micro-F1), macro-F1, macro-recall and per-class precision, recall, F1, support."""
    per = {}
    for c in SENTIMENTS:
        tp = sum(g == c and p == c for g, p in zip(gold, predicted))
        support = sum(g == c for g in gold)
        said = sum(p == c for p in predicted)
        precision = tp / said if said else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per[c] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    # Averaged over the labels in the gold data or the predictions (as scikit-learn does).
    seen = [c for c in SENTIMENTS if per[c]["support"] or c in predicted]
    n = len(gold)
    return {
        "accuracy": sum(g == p for g, p in zip(gold, predicted)) / n if n else 0.0,
        "macro_f1": sum(per[c]["f1"] for c in seen) / len(seen) if seen else 0.0,
        "macro_recall": sum(per[c]["recall"] for c in seen) / len(seen) if seen else 0.0,
        "n": n,
        "classes": per,
    }


def report(result: dict) -> str:
    lines = [
        f"accuracy (micro-F1) {result['accuracy']:.3f}   macro-F1 {result['macro_f1']:.3f}   macro-recall {result['macro_recall']:.3f}   n {result['n']}",
        f"  {'class':<10} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}",
    ]
    for c, m in result["classes"].items():
        lines.append(f"  {c:<10} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1']:>6.3f} {m['support']:>8}")
    return "\n".join(lines)


def _counts(values: list[str]) -> str:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return ", ".join(f"{k} {n}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def lexicon_baselines(texts: list[str], languages: list[str]) -> dict[str, list[str]]:
    """Labels from always-neutral, our lexicon, and VADER (en) / textblob-de (de) where importable.

    VADER: compound ≥ 0.05 positive, ≤ −0.05 negative (its authors' thresholds); textblob-de:
    polarity above / below 0, with its pattern tokenizer (NLTK's punkt data is not installed).
    Texts in other languages get neutral from the foreign lexicons.
    """
    from detectors.sentiment import SentimentAnalyzer

    out = {"always neutral": ["neutral"] * len(texts)}
    lexicon = SentimentAnalyzer("lexicon")
    out["lexicon (ours)"] = [SENTIMENTS[i] for i in lexicon.probabilities(texts, languages).argmax(axis=1)]
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        vader = SentimentIntensityAnalyzer()
        out["VADER (en)"] = [_sign(vader.polarity_scores(t)["compound"], 0.05) if lang == "en" else "neutral"
                             for t, lang in zip(texts, languages)]
    except ImportError:
        out["VADER (en): not installed"] = []
    try:
        from textblob_de import PatternTokenizer, TextBlobDE

        tokenizer = PatternTokenizer()
        out["textblob-de (de)"] = [_sign(TextBlobDE(t, tokenizer=tokenizer).sentiment.polarity, 1e-9) if lang == "de" else "neutral"
                                   for t, lang in zip(texts, languages)]
    except ImportError:
        out["textblob-de (de): not installed"] = []
    if "en" not in languages:
        out.pop("VADER (en)", None)
    if "de" not in languages:
        out.pop("textblob-de (de)", None)
    return out


def _sign(value: float, at: float) -> str:
    return "positive" if value >= at else "negative" if value <= -at else "neutral"
