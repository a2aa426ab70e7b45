"""Language detection restricted to the configured languages (lingua)."""

from __future__ import annotations

import re

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

from bot.models import Post, Scores

UNDETERMINED = "und"
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
    """Fills scores.language with one of the configured ISO 639-1 codes, or "und"."""

    name = "language"

    def __init__(self, languages: tuple[str, ...] | list[str] = ("de", "en")):
        self.languages = tuple(code.lower() for code in languages)
        if not self.languages:
            raise ValueError("LanguageDetector needs at least one language")
        langs = [Language.from_iso_code_639_1(IsoCode639_1.from_str(code)) for code in self.languages]
        self._codes = dict(zip(langs, self.languages))
        # lingua needs two languages to choose between; restricting it keeps it small and fast
        # (all languages cost ~1.3 GB and ~5 s to load).
        self._detector = LanguageDetectorBuilder.from_languages(*langs).build() if len(langs) > 1 else None

    def _code(self, lang: Language | None) -> str:
        if self._detector is None:
            return self.languages[0]
        return self._codes.get(lang, UNDETERMINED) if lang is not None else UNDETERMINED

    def detect(self, text: str) -> str:
        """The language code of one text, or "und" when it has no letters or lingua cannot tell."""
        judged = _text_to_judge(text)
        if judged is None:
            return UNDETERMINED
        return self._code(self._detector.detect_language_of(judged) if self._detector else None)

    def score(self, posts: list[Post], scores: list[Scores]) -> None:
        """Trust a platform-supplied language when it is one of ours; detect the rest in one call."""
        todo: list[int] = []
        texts: list[str] = []
        for i, post in enumerate(posts):
            given = (post.language or "").lower().split("-")[0]
            judged = _text_to_judge(post.text)
            if given in self.languages:
                scores[i].language = given
            elif judged is None:
                scores[i].language = UNDETERMINED
            else:
                todo.append(i)
                texts.append(judged)
        if not todo:
            return
        found = self._detector.detect_languages_in_parallel_of(texts) if self._detector else [None] * len(texts)
        for i, lang in zip(todo, found):
            scores[i].language = self._code(lang)
