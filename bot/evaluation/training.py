"""`sitroom train sentiment DATA…`: fit the sentiment head on your own labelled data.

DATA are files in any format `sitroom eval sentiment` reads (CSV/TSV with text and label,
GermEval 2017, SB-10k, PotTS, TweetEval text with --labels). Per language (--lang, or detected
per text with auto) it fits a logistic regression on hashed character and word n-grams, one on
the sentence embeddings the topic detector computes, with two or more files also one n-gram
"expert" per file and a domain model (which file a text is like), and a stacker over all of
them and the lexicon (detectors/sentiment_head.py), then writes the head folder --out. Languages already in that
folder and not trained now are kept; point `detectors.sentiment.model` at it to use it.
"""

from __future__ import annotations

import time
from pathlib import Path

C_CHAR = 4.0  # inverse regularisation of the n-gram models (chosen on held-out data, docs/sentiment.md)
C_EMBEDDING = 1.0
C_DOMAIN = 4.0
C_STACKS = (0.1, 1.0, 10.0)  # the stacker's is chosen among these by cross-validation on the training texts
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
    texts, labels, sources, domains = [], [], [], []
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
        domains += [len(sources)] * len(train_idx)
        dropped = "".join(f", dropped {n} {k}" for k, n in data.dropped.items())
        sources.append(f"{Path(path).name} ({len(train_idx)} texts{dropped})")
    languages = _languages(texts, args.lang)
    head, info = fit(texts, labels, languages, class_weight=None if args.class_weight == "none" else "balanced",
                     seed=args.seed, sources=sources, existing=out, domains=domains)
    head.save(out, info)
    for lang, meta in info["languages"].items():
        if lang in head.languages and meta.get("n"):
            print(f"{lang}: fitted on {meta['n']} texts {meta['labels']}")
    print(f"wrote {out}/ in {time.perf_counter() - started:.0f} s; use it with  detectors: sentiment: model: {out.resolve()}")
    return 0


def fit(texts, labels, languages, class_weight="balanced", seed=0, sources=(), existing: Path | None = None, vectors=None,
        domains=None):
    """A Head fitted per language (merged into the head at `existing`, if there is one), and its info.

    `vectors`: the texts' embeddings if already computed (row i for text i), else they are computed.
    `domains`: per text the index of its source in `sources` (None: all from one source).
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
        try:
            head = Head.load(existing)
        except ValueError as e:
            raise InputError([f"{e}; or write to a new --out"]) from None
        if head.embedder != embedder_name:
            raise InputError([f"{existing}: fitted on {head.embedder} embeddings, the topics now use {embedder_name}; use a new --out"])
        info = {k: v for k, v in head.info.items() if k == "languages"}
    y = np.array([LABELS.index(label) for label in labels])
    langs = np.array(languages)
    domains = np.zeros(len(texts), dtype=int) if domains is None else np.asarray(domains, dtype=int)
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
        present, sub_domains = np.unique(domains[rows], return_inverse=True)
        head.languages[lang] = fit_language(sub, y[rows], sub_vectors, polarity, head.settings, class_weight, seed,
                                            domains=sub_domains)
        info["languages"][lang] = {
            "n": int(len(rows)),
            "labels": dict(zip(LABELS, counts.tolist())),
            "trained_on": [sources[i] for i in present] if len(sources) > present.max() else list(sources),
            "experts": int(head.languages[lang].expert_w.shape[1] // 3),
            "class_weight": class_weight or "none",
            "fitted": time.strftime("%Y-%m-%d"),
        }
    return head, info


def fit_language(texts, y, vectors, polarity, settings, class_weight="balanced", seed=0, folds=5, domains=None):
    """One LanguageHead: the pooled n-gram and embedding models, with two or more sources an n-gram
    expert per source and a domain model, all stacked on their out-of-fold predictions."""
    import numpy as np
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from detectors.sentiment_features import hashed, stack_inputs, text_kind
    from detectors.sentiment_head import LanguageHead

    n = len(texts)
    r, c, v = hashed(texts, settings)
    used, cu = np.unique(c, return_inverse=True)  # fit on the columns that occur: far fewer parameters
    x = sparse.csr_matrix((v, (r, cu)), shape=(n, len(used)))
    xe = sparse.csr_matrix((v, (r, c % settings.expert_features)), shape=(n, settings.expert_features))
    xd = sparse.csr_matrix((v, (r, c % settings.domain_features)), shape=(n, settings.domain_features))
    polarity = np.asarray(polarity, dtype=np.float64)[:, None]
    d = np.zeros(n, dtype=int) if domains is None else np.asarray(domains, dtype=int)
    n_src = int(d.max()) + 1
    # An expert per source that has every label often enough; a domain model when there are two sources or more.
    experts = [s for s in range(n_src) if n_src > 1 and np.bincount(y[d == s], minlength=3).min() >= MIN_PER_LABEL]

    def model(C):
        return LogisticRegression(C=C, max_iter=1000, tol=1e-3, class_weight=class_weight)

    oof_char, oof_emb = np.zeros((n, 3)), np.zeros((n, 3))
    oof_exp = [np.zeros((n, 3)) for _ in experts]
    oof_dom = np.zeros((n, n_src))
    k = int(min(folds, np.bincount(y).min()))
    strata = y * n_src + d  # every fold holds every source's labels in proportion
    if np.bincount(strata)[np.bincount(strata) > 0].min() < k:
        strata = y
    for a, b in StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(n), strata):
        oof_char[b] = model(C_CHAR).fit(x[a], y[a]).predict_log_proba(x[b])
        oof_emb[b] = model(C_EMBEDDING).fit(vectors[a], y[a]).predict_log_proba(vectors[b])
        for j, s in enumerate(experts):
            mine = a[d[a] == s]
            oof_exp[j][b] = _predict(model(C_CHAR).fit(xe[mine], y[mine]), xe[b], 3, log=True)
        if n_src > 1:
            oof_dom[b] = _predict(LogisticRegression(C=C_DOMAIN, max_iter=1000, tol=1e-3).fit(xd[a], d[a]), xd[b], n_src)
    char, emb = model(C_CHAR).fit(x, y), model(C_EMBEDDING).fit(vectors, y)
    expert_models = [model(C_CHAR).fit(xe[d == s], y[d == s]) for s in experts]
    kind = text_kind(texts)
    domain = oof_dom if n_src > 1 else None

    def stacker(parts):
        """The stacker with the C of least cross-validated log-loss on the out-of-fold inputs."""
        inputs = stack_inputs(np.hstack(parts), kind, domain)
        loss = dict.fromkeys(C_STACKS, 0.0)
        for a, b in StratifiedKFold(k, shuffle=True, random_state=seed + 1).split(inputs, strata):
            for C in C_STACKS:
                p = _predict(model(C).fit(inputs[a], y[a]), inputs[b], 3, log=True)
                loss[C] -= p[np.arange(len(b)), y[b]].sum()
        return model(min(loss, key=loss.get)).fit(inputs, y)

    stack = stacker([oof_char, oof_emb, *oof_exp, polarity])
    plain = stacker([oof_char, *oof_exp, polarity])
    char_w = np.zeros((settings.n_features, 3), dtype=np.float32)
    char_w[used] = char.coef_.T  # columns never seen keep weight 0, as a fit on all of them gives
    expert_w = np.zeros((settings.expert_features, 3 * len(experts)), dtype=np.float32)
    for j, m in enumerate(expert_models):
        expert_w[:, 3 * j : 3 * j + 3] = m.coef_.T
    expert_b = np.concatenate([m.intercept_ for m in expert_models]) if experts else np.zeros(0)
    domain_w, domain_b = np.zeros((settings.domain_features, 0)), np.zeros(0)
    if n_src > 1:
        dom = LogisticRegression(C=C_DOMAIN, max_iter=1000, tol=1e-3).fit(xd, d)
        domain_w, domain_b = dom.coef_.T, dom.intercept_
        if n_src == 2:  # scikit-learn keeps one column for two classes: as softmax, class 0 scores 0
            domain_w, domain_b = np.hstack([np.zeros_like(domain_w), domain_w]), np.array([0.0, domain_b[0]])
    return LanguageHead(
        char_w=char_w, char_b=char.intercept_, emb_w=emb.coef_.T, emb_b=emb.intercept_,
        expert_w=expert_w, expert_b=expert_b, domain_w=domain_w, domain_b=domain_b,
        stack_w=stack.coef_.T, stack_b=stack.intercept_, plain_w=plain.coef_.T, plain_b=plain.intercept_,
    )


def _predict(model, x, width: int, log: bool = False):
    """predict_proba (or its log) with one column per class 0..width-1, also for a class the fold lacked."""
    import numpy as np

    out = np.full((x.shape[0], width), -30.0 if log else 0.0)
    out[:, model.classes_] = model.predict_log_proba(x) if log else model.predict_proba(x)
    return out


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
