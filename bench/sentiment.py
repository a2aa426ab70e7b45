"""Sentiment on the public sets: our split, the head fitted on its train part, baselines in the same run.

    python -m bench.sentiment [EVAL_DATA] [--out DIR] [--class-weight de=none,en=balanced] [--speed N]
    python -m bench.sentiment --speed-only     # no eval data needed: the shipped head's posts/s and MB

EVAL_DATA is ../shared/eval-data (or $SITROOM_EVAL_DATA). Each set is split 80/20, stratified by
label, seed 0 (`bot.evaluation.training.split`); the held-out parts are written to OUT as CSV,
so `sitroom eval sentiment OUT/val-<set>.csv --model OUT/head --baseline` re-measures one row.
Per language a head is fitted on the train parts of that language's sets with the code of
`sitroom train sentiment`, then every held-out part goes through the workers' Scorer. Baselines,
fitted and measured on the same split: always-neutral, char n-gram TF-IDF + logistic regression
(on the language's train parts together, and on the set's own train part alone), lexicons (ours;
VADER and textblob-de when importable), and the head's own parts alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

SETS = {  # name: (language, file, labels file)
    "germeval2017-dev": ("de", "GermEval2017/dev.tsv", None),
    "sb10k": ("de", "German_tweet_sentiment/sb10k_corpus_v1.0.cgsa.tsv", None),
    "potts": ("de", "German_tweet_sentiment/PotTS.tsv", None),
    "tweeteval-val": ("en", "TweetEval/sentiment/val_text.txt", "TweetEval/sentiment/val_labels.txt"),
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data", nargs="?", default=os.environ.get("SITROOM_EVAL_DATA", "../shared/eval-data"))
    p.add_argument("--out", default="/tmp/sitroom-sentiment-bench")
    p.add_argument("--class-weight", default="de=none,en=balanced", help="per language, as the shipped head")
    p.add_argument("--speed", type=int, default=3000, help="texts for the speed comparison (0: skip)")
    p.add_argument("--speed-only", action="store_true",
                   help="only the shipped head's speed and memory on a fixed synthetic batch (no eval data, no transformer)")
    args = p.parse_args(argv)
    if args.speed_only:
        return speed_only(args.speed)
    root = Path(args.data)
    if not (root / "README.md").is_file():
        print(f"no eval-data at {root}: skipped")
        return 0
    from bot.evaluation import sentiment as ev
    from bot.evaluation.data import read_sentiment
    from bot.evaluation.training import fit, split, write_csv

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    parts = {}
    for name, (lang, file, labels) in SETS.items():
        data = read_sentiment(root / file, root / labels if labels else None)
        train, val = split(data.labels, 0.2, seed=0)
        parts[name] = (lang, [data.texts[i] for i in train], [data.labels[i] for i in train],
                       [data.texts[i] for i in val], [data.labels[i] for i in val])
        write_csv(out / f"val-{name}.csv", parts[name][3], parts[name][4])
    head_dir = out / "head"
    weights = dict(item.split("=") for item in args.class_weight.split(","))
    for lang in ("de", "en"):
        names = [n for n in parts if parts[n][0] == lang]
        texts = [t for n in names for t in parts[n][1]]
        labels = [x for n in names for x in parts[n][2]]
        started = time.perf_counter()
        cw = None if weights.get(lang, "none") == "none" else "balanced"
        domains = [i for i, n in enumerate(names) for _ in parts[n][1]]
        head, info = fit(texts, labels, [lang] * len(texts), class_weight=cw, vectors=_embeddings(texts, out),
                         sources=[f"{n} train split" for n in names], existing=head_dir, domains=domains)
        head.save(head_dir, info)
        print(f"{lang}: fitted on {len(texts)} texts in {time.perf_counter() - started:.0f} s", flush=True)

    scorer, _ = ev.build_scorer(str(head_dir))
    analyzer = next(d for d in scorer.detectors if d.name == "sentiment")
    tfidf = {lang: _tfidf_baseline([t for n in parts if parts[n][0] == lang for t in parts[n][1]],
                                   [x for n in parts if parts[n][0] == lang for x in parts[n][2]]) for lang in ("de", "en")}
    rows = []
    for name, (lang, _, _, texts, gold) in parts.items():
        labels, languages, vectors = _score(scorer, texts)
        results = {"head (stacked)": ev.metrics(gold, labels)}
        for part in ("n-gram part alone", "MiniLM part alone"):
            results[part] = ev.metrics(gold, _part(analyzer, part, texts, languages, vectors))
        results["char TF-IDF + LR"] = ev.metrics(gold, tfidf[lang](texts))
        results["char TF-IDF + LR, this set only"] = ev.metrics(gold, _tfidf_baseline(parts[name][1], parts[name][2])(texts))
        for base, predicted in ev.lexicon_baselines(texts, [lang] * len(texts)).items():
            if predicted:
                results[base] = ev.metrics(gold, predicted)
        for method, m in results.items():
            rows.append({"set": name, "lang": lang, "n": m["n"], "method": method,
                         **{k: round(m[k], 4) for k in ("accuracy", "macro_f1", "macro_recall")}})
        print(f"\n{name} ({lang}, n={len(gold)}; `sitroom eval sentiment {out}/val-{name}.csv --model {head_dir} --baseline`)")
        for method, m in results.items():
            print(f"  {method:<30} accuracy {m['accuracy']:.3f}  macro-F1 {m['macro_f1']:.3f}  macro-recall {m['macro_recall']:.3f}")
    (out / "results.json").write_text(json.dumps(rows, indent=1))
    if args.speed:
        print("\n" + speed(scorer, analyzer, [t for n in parts for t in parts[n][1]][: args.speed]))
    return 0


def _embeddings(texts, out: Path):
    """The texts' embeddings as training computes them, kept in OUT between runs."""
    import hashlib

    import numpy as np

    from bot.evaluation.training import _embedder_name
    from bot import config
    from detectors.embedder import Embedder
    from detectors.sentiment import embedding_text

    name = _embedder_name(config)
    key = hashlib.sha256("\x00".join([name, *texts]).encode()).hexdigest()[:16]
    path = out / f"embeddings-{key}.npy"
    if path.is_file():
        return np.load(path)
    print(f"embedding {len(texts)} texts …", flush=True)
    vectors = Embedder.load(name).encode([embedding_text(t) for t in texts])
    np.save(path, vectors)
    return vectors


def _score(scorer, texts):
    import numpy as np

    from bot.models import Post

    labels, languages, vectors = [], [], []
    for start in range(0, len(texts), scorer.batch_size):
        posts = [Post(source="eval", id=str(i), channel="eval", text=t, created_at=0.0)
                 for i, t in enumerate(texts[start : start + scorer.batch_size])]
        scores, v = scorer.score_with_vectors(posts)
        labels += [s.sentiment for s in scores]
        languages += [s.language for s in scores]
        vectors.append(v)
    return labels, languages, np.vstack(vectors)


def _part(analyzer, part, texts, languages, vectors):
    """One part of the head alone: its n-gram or its MiniLM logistic regression."""
    import numpy as np

    from detectors.sentiment_features import dot, hashed
    from detectors.sentiment_head import LABELS, log_softmax

    head = analyzer.head
    out = []
    for i, (text, lang) in enumerate(zip(texts, languages)):
        h = head.languages.get(lang) or head.languages["de" if lang == "de" else "en"]
        if part.startswith("n-gram"):
            z = dot(hashed([text], head.settings), 1, h.char_w) + h.char_b
        else:
            z = vectors[i : i + 1] @ h.emb_w + h.emb_b
        out.append(LABELS[int(np.argmax(log_softmax(z)))])
    return out


def _tfidf_baseline(texts, labels):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    model = LogisticRegression(C=4.0, max_iter=1000, tol=1e-3).fit(vec.fit_transform(texts), labels)
    return lambda xs: list(model.predict(vec.transform(xs)))


def synthetic_posts(n: int) -> tuple[list[str], list[str]]:
    """A fixed batch of German and English posts (texts, languages), made from phrases: the same on every run."""
    import random

    de = (["Seit drei Stunden kein Netz in", "Danke für die schnelle Hilfe in", "Wann kommt endlich der Techniker nach",
           "Störung gemeldet:", "Super Service heute in", "Die Rechnung ist schon wieder falsch,", "Mein Router blinkt rot in"],
          ["Berlin", "Köln", "der Innenstadt", "@telekom_hilft", "meiner Straße", "ganz Bayern"],
          ["", "!!!", " 😡", " danke 👍", " https://t.co/abc", " #störung", " - seit gestern Abend, niemand ruft zurück."])
    en = (["No signal for three hours in", "Thanks for the quick fix in", "When will the engineer finally come to",
           "Outage reported:", "Great support today in", "My bill is wrong again,", "The router keeps blinking red in"],
          ["London", "Leeds", "the city centre", "@VerizonSupport", "my street", "all of Texas"],
          ["", "!!!", " 😡", " thanks 👍", " https://t.co/abc", " #outage", " - since last night, nobody calls back."])
    rng = random.Random(7)
    texts, langs = [], []
    for i in range(n):
        lang, parts = ("de", de) if i % 2 else ("en", en)
        texts.append(" ".join(rng.choice(p) for p in parts[:2]) + rng.choice(parts[2]))
        langs.append(lang)
    return texts, langs


def _rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def speed_only(n: int = 3000, batch: int = 64) -> int:
    """posts/s and memory of the sentiment stage alone (shipped head, lexicon, given embeddings)."""
    import numpy as np

    from bot.models import Post, Scores
    from detectors.sentiment import SentimentAnalyzer
    from detectors.sentiment_head import DEFAULT_DIR, Head

    n = n or 3000
    texts, langs = synthetic_posts(n)
    rng = np.random.default_rng(0)
    before = _rss_mb()
    started = time.perf_counter()
    name = Head.load(DEFAULT_DIR).embedder

    class Given:  # stands for the topic detector's embedder: the vectors are handed over, never computed here
        def __init__(self):
            self.name = name

        def encode(self, texts):
            raise AssertionError("the bench hands the embeddings over")

    analyzer = SentimentAnalyzer("default", Given())
    load_s = time.perf_counter() - started
    vectors = rng.normal(size=(n, 384)).astype(np.float32)  # MiniLM's width; their values do not change the cost
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    posts = [Post(source="bench", id=str(i), channel="bench", text=t, created_at=0.0) for i, t in enumerate(texts)]
    scores = [Scores(language=lang) for lang in langs]
    analyzer.score(posts[:batch], scores[:batch], vectors[:batch])  # warm-up
    started = time.perf_counter()
    for i in range(0, n, batch):
        analyzer.score(posts[i : i + batch], scores[i : i + batch], vectors[i : i + batch])
    elapsed = time.perf_counter() - started
    rss = _rss_mb() - before
    result = {"sentiment_posts_per_s": round(n / elapsed, 1), "sentiment_rss_mb": round(rss, 1),
              "load_s": round(load_s, 2), "posts": n, "batch": batch}
    print(f"sentiment head alone (shipped head + lexicon, embeddings given) on {n} synthetic German/English posts, "
          f"batches of {batch}: {result['sentiment_posts_per_s']:.0f} posts/s, +{rss:.1f} MB resident "
          f"(loaded in {load_s:.2f} s)")
    print(json.dumps(result))
    return 0


def speed(scorer, analyzer, texts) -> str:
    """posts/s of the MiniLM embedding vs the sentiment stage given those embeddings (one core-pair, batched)."""
    from bot.models import Post, Scores
    from detectors.sentiment import embedding_text

    size = scorer.batch_size
    posts = [Post(source="bench", id=str(i), channel="bench", text=t, created_at=0.0) for i, t in enumerate(texts)]
    langs = [Scores(language="de" if i % 2 else "en") for i in range(len(posts))]
    started = time.perf_counter()
    vectors = [analyzer.embedder.encode([embedding_text(p.text) for p in posts[i : i + size]]) for i in range(0, len(posts), size)]
    embed_s = time.perf_counter() - started
    started = time.perf_counter()
    for k, i in enumerate(range(0, len(posts), size)):
        analyzer.score(posts[i : i + size], langs[i : i + size], vectors[k])
    sentiment_s = time.perf_counter() - started
    return (f"speed on {len(posts)} texts, batches of {size}: MiniLM embedding {len(posts) / embed_s:.0f} posts/s, "
            f"sentiment stage (n-grams + lexicon + heads, embeddings given) {len(posts) / sentiment_s:.0f} posts/s")


if __name__ == "__main__":
    sys.exit(main())
