"""Language detection restricted to the configured languages (lingua)."""

from __future__ import annotations

import re

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

from bot.models import Post, Scores

UNDETERMINED = "und"
MIN_DISTANCE = 0.1  # lingua's relative distance between the two likeliest languages, else "und"
_LETTER = re.compile(r"[^\W\d_]")
# Links, mentions and hashtags say little about the language and can mislead short posts.
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+")


def _text_to_judge(text: str) -> str | None:
    """The text without links and handles, the raw text if nothing else is left, None if no letters."""
    cleaned = _NOISE.sub(" ", text)
    if _LETTER.search(cleaned):
        return cleaned
    return text if _LETTER.search(text) else None


class LanguageDetector:
    """Fills scores.language with one of the configured ISO 639-1 codes, or "und".

    "und" (undetermined): no letters, or lingua cannot tell the configured languages apart with
    at least `min_distance` between the likeliest and the next ("ok", "lol", "Super", "WTF").
    """

    name = "language"

    def __init__(self, languages: tuple[str, ...] | list[str] = ("de", "en"), min_distance: float = MIN_DISTANCE):
        self.languages = tuple(dict.fromkeys(code.lower() for code in languages))
        if not self.languages:
            raise ValueError("LanguageDetector needs at least one language")
        langs = [Language.from_iso_code_639_1(IsoCode639_1.from_str(code)) for code in self.languages]
        self._codes = dict(zip(langs, self.languages))
        # lingua needs two languages to choose between; restricting it keeps it small and fast
        # (all languages cost ~1.3 GB and ~5 s to load).
        self._detector = (LanguageDetectorBuilder.from_languages(*langs).with_minimum_relative_distance(min_distance)
                          .build() if len(langs) > 1 else None)

    def _code(self, lang: Language | None) -> str:
        if self._detector is None:
            return self.languages[0]
        return self._codes.get(lang, UNDETERMINED) if lang is not None else UNDETERMINED

    def detect(self, text: str) -> str:
        """The language code of one text, or "und" when it has no letters or lingua is unsure."""
        judged = _text_to_judge(text)
        if judged is None:
            return UNDETERMINED
        return self._code(self._detector.detect_language_of(judged) if self._detector else None)

    def score(self, posts: list[Post], scores: list[Scores]) -> None:
        """Trust a platform-supplied language when it is one of ours; detect the others."""
        # One post at a time on purpose: lingua's parallel mode starts a thread pool that
        # competes with torch for the same cores, and a short post takes only ~60 µs.
        for post, s in zip(posts, scores):
            given = (post.language or "").lower().split("-")[0]
            s.language = given if given in self.languages else self.detect(post.text)
