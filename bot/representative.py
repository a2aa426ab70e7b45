"""Representative posts and key terms: pure functions of texts and their sentence vectors.

docs/summaries.md explains the method; tests/test_summary.py holds it to its promises (the most
central post first, never two near-duplicates).
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from detectors.emerging import terms as post_terms

WEIGHT = 0.7  # maximal marginal relevance: centrality against distance from the posts already chosen
DUPLICATE_COSINE = 0.9  # embeddings this close are the same post in other words
DUPLICATE_SHINGLES = 0.5  # Jaccard of character 4-grams this high is the same post, slightly edited
TERMS = 8


def choose(texts: list[str], vectors: list[np.ndarray | None], k: int) -> tuple[list[int], str]:
    """Indices of up to k representative texts, most central first, never two near-duplicates.

    Centrality: a text's mean similarity to all the others. Then maximal marginal relevance: each
    next text maximises WEIGHT × centrality − (1 − WEIGHT) × its similarity to the closest text
    already chosen, and texts too similar to a chosen one (cosine ≥ DUPLICATE_COSINE, or character
    4-gram Jaccard ≥ DUPLICATE_SHINGLES) are out. Similarity is the cosine of the stored sentence
    embeddings when every text has one, else the Jaccard of character 4-grams.
    """
    if not texts:
        return [], "none"
    shingles = [_shingles(t) for t in texts]
    if all(v is not None for v in vectors) and len(vectors) == len(texts):
        matrix = np.stack(vectors).astype(np.float32)
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)
        sim = matrix @ matrix.T

        def duplicates(i: int) -> np.ndarray:  # only the chosen posts' rows are ever needed
            return (sim[i] >= DUPLICATE_COSINE) | (_jaccard_row(shingles, i) >= DUPLICATE_SHINGLES)

        return _mmr(sim, duplicates, k), "embedding"
    sim = np.stack([_jaccard_row(shingles, i) for i in range(len(texts))])
    return _mmr(sim, lambda i: sim[i] >= DUPLICATE_SHINGLES, k), "shingles"


def _mmr(sim: np.ndarray, duplicates, k: int) -> list[int]:
    n = len(sim)
    centrality = (sim.sum(axis=1) - np.diag(sim)) / max(n - 1, 1)
    closest = np.zeros(n)  # similarity to the closest text chosen so far
    available = np.ones(n, dtype=bool)
    chosen: list[int] = []
    while len(chosen) < k and available.any():
        score = np.where(available, WEIGHT * centrality - (1 - WEIGHT) * closest, -np.inf)
        i = int(np.argmax(score))  # ties: the earlier text
        chosen.append(i)
        closest = np.maximum(closest, sim[i])
        available &= ~duplicates(i)
        available[i] = False
    return chosen


_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+|\d+|[^\w\s]")


def _shingles(text: str) -> frozenset[str]:
    """Character 4-grams of the text without links, mentions, numbers and punctuation."""
    norm = " ".join(_NOISE.sub(" ", text.lower()).split())
    return frozenset(norm[i:i + 4] for i in range(max(1, len(norm) - 3)))


def _jaccard_row(sets: list[frozenset], i: int) -> np.ndarray:
    """The Jaccard similarity of set i with every set."""
    mine = sets[i]
    return np.array([len(mine & other) / (len(mine | other) or 1) for other in sets])


def key_terms(texts: list[str], ignore: set[str], k: int = TERMS) -> list[str]:
    """The words and word pairs most posts use (detectors.emerging.terms: no stopwords or numbers),
    in at least two posts and 5 % of them; a pair comes before its words when as frequent, and a
    word already part of a chosen pair (or the reverse) is not repeated."""
    df = Counter(t for text in texts for t in set(post_terms(text)) if not (set(t.split()) & ignore))
    least = max(2, math.ceil(0.05 * len(texts)))
    out: list[str] = []
    for term, count in sorted(df.items(), key=lambda tc: (-tc[1], -len(tc[0].split()), tc[0])):
        if count < least or len(out) == k:
            break
        words = set(term.split())
        if not any(words & set(o.split()) for o in out):
            out.append(term)
    return out
