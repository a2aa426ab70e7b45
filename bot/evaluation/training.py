"""`sitroom train sentiment DATA…`: fit the sentiment head on your own labelled data.

DATA are files in any format `sitroom eval sentiment` reads (CSV/TSV with text and label,
GermEval 2017, SB-10k, PotTS, TweetEval text with --labels). Per language (--lang, or detected
per text with auto) it fits a logistic regression on hashed character and word n-grams, one on
the sentence embeddings the topic detector computes, and a stacker over both and the lexicon
(detectors/sentiment_head.py), then writes the head folder --out. Languages already in that
folder and not trained now are kept; point `detectors.sentiment.model` at it to use it.
"""

from __future__ import annotations

import time
from pathlib import Path

C_CHAR = 4.0  # inverse regularisation of the n-gram model (chosen on held-out data, docs/sentiment.md)
C_EMBEDDING = 1.0
C_STACK = 1.0
MIN_PER_LABEL = 5


def add_arguments(parser) -> None:
    parser.add_argument("data", nargs="+", metavar="DATA", help="labelled files (CSV/TSV with text,label; GermEval; SB-10k; PotTS; TweetEval text)")
    parser.add_argument("--labels", action="append", default=[],
                        help="TweetEval labels file; give one per .txt DATA file, in the same order")
    parser.add_argument("--format", default="auto", help="the files' format (default: told by each file's first line)")
    parser.add_argument("--lang", choices=("de", "en", "auto"), default="auto",
                        help="the language of all texts, or auto: detect each (texts of neither language are skipped)")
    parser.add_argument("--out", default="sentiment-head", help="the head folder to write (default: ./sentiment-head)")
    parser.add_argument("--class-weight", choices=("balanced", "none"), default="none",
                        help="none (default): labels count as often as they occur, best accuracy; "
                             "balanced: each label weighs the same, better recall of rare labels")
    parser.add_argument("--holdout", type=float, default=0.0,
                        help="keep this fraction of each file out (stratified, --seed) and write it to OUT/holdout-*.csv")
    parser.add_argument("--seed", type=int, default=0)


def run(args) -> int:
    from bot.evaluation.data import read_sentiment

    files = _pair_labels(args.data, args.labels)
    started = time.perf_counter()
    out = Path(args.out)
    texts, labels, sources = [], [], []
    for path, labels_path in files:
        data = read_sentiment(path, labels_path, args.format)
        train_idx, held = split(data.labels, args.holdout, args.seed) if args.holdout else (list(range(len(data))), [])
        if held:
            out.mkdir(parents=True, exist_ok=True)
            name = out / f"holdout-{Path(path).stem}.csv"
            write_csv(name, [data.texts[i] for i in held], [data.labels[i] for i in held])
            print(f"held out {len(held)} of {len(data)} from {path} → {name}")
        texts += [data.texts[i] for i in train_idx]
        labels += [data.labels[i] for i in train_idx]
        dropped = "".join(f", dropped {n} {k}" for k, n in data.dropped.items())
        sources.append(f"{Path(path).name} ({len(train_idx)} texts{dropped})")
    languages = _languages(texts, args.lang)
    head, info = fit(texts, labels, languages, class_weight=None if args.class_weight == "none" else "balanced",
                     seed=args.seed, sources=sources, existing=out)
    head.save(out, info)
    for lang, meta in info["languages"].items():
        if lang in head.languages and meta.get("n"):
            print(f"{lang}: fitted on {meta['n']} texts {meta['labels']}")
    print(f"wrote {out}/ in {time.perf_counter() - started:.0f} s; use it with  detectors: sentiment: model: {out.resolve()}")
    return 0


def fit(texts, labels, languages, class_weight="balanced", seed=0, sources=(), existing: Path | None = None, vectors=None):
    """A Head fitted per language (merged into the head at `existing`, if there is one), and its info.

    `vectors`: the texts' embeddings if already computed (row i for text i), else they are computed.
    """
    import numpy as np

    from bot import config
    from bot.sources import InputError
    from detectors.embedder import Embedder
    from detectors.sentiment import embedding_text
    from detectors.sentiment_features import FeatureSettings
    from detectors.sentiment_head import LABELS, Head
    from detectors.sentiment_lexicon import LexiconSentiment

    embedder_name = _embedder_name(config)
    head, info = Head(FeatureSettings(), embedder_name, {}), {"languages": {}}
    if existing is not None and (existing / "head.json").is_file():
        head = Head.load(existing)
        if head.embedder != embedder_name:
            raise InputError([f"{existing}: fitted on {head.embedder} embeddings, the topics now use {embedder_name}; use a new --out"])
        info = {k: v for k, v in head.info.items() if k == "languages"}
    y = np.array([LABELS.index(label) for label in labels])
    langs = np.array(languages)
    todo = []
    for lang in ("de", "en"):
        rows = np.flatnonzero(langs == lang)
        counts = np.bincount(y[rows], minlength=3) if len(rows) else np.zeros(3, int)
        if not len(rows):
            continue
        if counts.min() < MIN_PER_LABEL:
            raise InputError([f"{lang}: {dict(zip(LABELS, counts.tolist()))}; each label needs at least {MIN_PER_LABEL} texts"])
        todo.append((lang, rows, counts))
    if not todo:
        raise InputError(["no German or English texts to fit on"])
    lexicon = LexiconSentiment()
    embedder = Embedder.load(embedder_name) if vectors is None else None
    for lang, rows, counts in todo:
        sub = [texts[i] for i in rows]
        if embedder is not None:
            print(f"{lang}: embedding {len(sub)} texts …", flush=True)
            sub_vectors = embedder.encode([embedding_text(t) for t in sub])
        else:
            sub_vectors = np.asarray(vectors)[rows]
        polarity = np.array([lexicon.polarity(t, lang) for t in sub])
        head.languages[lang] = fit_language(sub, y[rows], sub_vectors, polarity, head.settings, class_weight, seed)
        info["languages"][lang] = {
            "n": int(len(rows)),
            "labels": dict(zip(LABELS, counts.tolist())),
            "trained_on": list(sources),
            "class_weight": class_weight or "none",
            "fitted": time.strftime("%Y-%m-%d"),
        }
    return head, info


def fit_language(texts, y, vectors, polarity, settings, class_weight="balanced", seed=0, folds=5):
    """One LanguageHead: n-gram and embedding models, stacked on their out-of-fold predictions."""
    import numpy as np
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from detectors.sentiment_features import hashed, stack_inputs, text_kind
    from detectors.sentiment_head import LanguageHead

    r, c, v = hashed(texts, settings)
    used, c = np.unique(c, return_inverse=True)  # fit on the columns that occur: far fewer parameters
    x = sparse.csr_matrix((v, (r, c)), shape=(len(texts), len(used)))
    polarity = np.asarray(polarity, dtype=np.float64)[:, None]

    def model(C):
        return LogisticRegression(C=C, max_iter=1000, tol=1e-3, class_weight=class_weight)

    oof_char, oof_emb = np.zeros((len(y), 3)), np.zeros((len(y), 3))
    k = int(min(folds, np.bincount(y).min()))
    for a, b in StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y):
        oof_char[b] = model(C_CHAR).fit(x[a], y[a]).predict_log_proba(x[b])
        oof_emb[b] = model(C_EMBEDDING).fit(vectors[a], y[a]).predict_log_proba(vectors[b])
    char, emb = model(C_CHAR).fit(x, y), model(C_EMBEDDING).fit(vectors, y)
    kind = text_kind(texts)
    stack = model(C_STACK).fit(stack_inputs(np.hstack([oof_char, oof_emb, polarity]), kind), y)
    plain = model(C_STACK).fit(stack_inputs(np.hstack([oof_char, polarity]), kind), y)
    char_w = np.zeros((settings.n_features, 3), dtype=np.float32)
    char_w[used] = char.coef_.T  # columns never seen keep weight 0, as a fit on all of them gives
    return LanguageHead(
        char_w=char_w, char_b=char.intercept_, emb_w=emb.coef_.T, emb_b=emb.intercept_,
        stack_w=stack.coef_.T, stack_b=stack.intercept_, plain_w=plain.coef_.T, plain_b=plain.intercept_,
    )


def split(labels: list[str], fraction: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """Stratified (train, held-out) row indices: `fraction` of each label held out, shuffled by `seed`."""
    import random

    rng = random.Random(seed)
    train, held = [], []
    for label in sorted(set(labels)):
        rows = [i for i, x in enumerate(labels) if x == label]
        rng.shuffle(rows)
        cut = round(len(rows) * fraction)
        held += rows[:cut]
        train += rows[cut:]
    return sorted(train), sorted(held)


def write_csv(path: Path, texts: list[str], labels: list[str]) -> None:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(zip(texts, labels))


def _pair_labels(data: list[str], labels: list[str]) -> list[tuple[str, str | None]]:
    from bot.sources import InputError

    plain = [d for d in data if d.lower().endswith(".txt")]
    if len(labels) != len(plain):
        raise InputError([f"--labels given {len(labels)} time(s) for {len(plain)} .txt DATA file(s): give one per TweetEval text file"])
    pairs = dict(zip(plain, labels))
    return [(d, pairs.get(d)) for d in data]


def _languages(texts: list[str], lang: str) -> list[str]:
    if lang != "auto":
        return [lang] * len(texts)
    from detectors.language import LanguageDetector

    detector = LanguageDetector(("de", "en"))
    found = [detector.detect(t) for t in texts]
    skipped = sum(x not in ("de", "en") for x in found)
    if skipped:
        print(f"skipped {skipped} texts in neither German nor English")
    return found


def _embedder_name(config) -> str:
    import os

    path = os.environ.get("SITROOM_CONFIG") or config.DEFAULT_PATH
    if os.path.exists(path):
        return config.load(path).detectors.topics.model
    return config.TopicSettings().model
