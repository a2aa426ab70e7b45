"""Lexicon sentiment for German and English posts to a telecom: fast and explainable.

On its own far below a trained model (see docs/sentiment.md); the default head uses its score
as one input, and `detectors.sentiment.model: lexicon` selects it alone.
"""

from __future__ import annotations

import math
import re

from bot.models import Post, Scores

# Lexicon notation, on lowercase text with ä→ae, ö→oe, ü→ue, ß→ss:
#   word   the word itself or with a common inflection suffix (gute, problems)
#   stem*  any word that starts with stem (abzocke, abzocker, abzockerei)
#   *head  any word that contains head: German compounds put their head last (Netzausfälle)
_DE = {
    -3: "abzock* *abzock* betrug* *betrug betrueg* betrogen frechheit unverschaemt* katastroph* *katastrophe"
    " scheiss* unzumutbar* inakzeptabel* datenleck* *datenleck",
    -2.5: "*ausfall* *ausfael* ausgefallen funkloch* *funkloch* miserabel* furchtbar* schrecklich* grottig*"
    " kacke unbrauchbar* wuetend* phishing* gehackt hacker* explodiert* gefaelscht*",
    -2: "*stoerung* schlecht* mies* kaputt* defekt* *defekt aerger* enttaeusch* kuendig* *kuendigung"
    " beschwer* *beschwerde unzuverlaessig* unmoeglich* laecherlich* peinlich* sauer mist fake* unzufrieden*"
    " unfreundlich* ueberhitz* abgezockt aufgeblaeht brennt",
    -1.5: "problem* *problem fehler* *fehler nervig nervt genervt langsam* reklamation* rueckerstattung* *erstattung"
    " warteschleife* *warteschleife teuer* mahnung* spam* rueckruf* witz tot down fail*",
    -1: "wartezeit* schade hotline* *hotline",
    -0.7: "leider",
    0.6: "funktioniert klappt laeuft",
    1: "dank stabil* cool wow",
    1.5: "gut gefaell* gefiel* mag danke* freundlich* schnell* zuverlaessig* top nice",
    2: "super toll* klasse spitze prima zufrieden* hilfreich* behoben geloest empfehl* freu* gluecklich* lob* geil*",
    2.5: "perfekt* genial* wunderbar* begeistert*",
    3: "hervorragend* ausgezeichnet* grossartig*",
}
_EN = {
    -3: "worst scam* fraud* terrible horrible awful disgrac* unacceptable pathetic shit* ripoff",
    -2.5: "outage* phishing* hate* sucks crap useless furious ridiculous breach* explod* hacked",
    -2: "bad broken fail* angry disappoint* frustrat* unreliable dead overcharg* overheat* leak* stolen wtf"
    " cancel* complain* annoy* rude swollen burn*",
    -1.5: "down downtime problem* error* slow* poor* spotty patchy refund* recall* joke dropp* unhappy",
    -1: "issue* bug* waiting sorry",
    -0.7: "unfortunately",
    0.6: "works working",
    1: "cool stable wow sorted",
    1.5: "good thank* thx nice fast quick* friendly fixed resolved solved glad pleased reliable smooth*",
    2: "helpful happy satisfied recommend* impressed kudos appreciat*",
    2.5: "great love* lovely perfect* best brilliant wonderful",
    3: "excellent amazing awesome fantastic outstanding",
}
# Telecom complaints that no single word carries; matched before words, so they count once.
_PHRASES = {
    "de": [
        (r"kein(?:e[nmrs]?)? (?:netz|empfang|internet|signal|verbindung|lte|[345]g|wlan|dsl|anschluss|antwort)\w*", -2.5),
        (r"(?:funktionier\w*|geht|klappt|laeuft) (?:\w+ )?(?:nicht|nix|gar nicht)", -2),
        (r"(?:netz|internet|empfang|wlan|dsl) (?:ist |mal |schon |wieder )*(?:weg|tot|down)", -2.5),
        (r"faellt (?:\w+ )?aus|zu teuer|doppelt (?:abgebucht|berechnet)|nie wieder|danke fuer nichts", -2.5),
        (r"schon wieder|seit (?:tagen|stunden|wochen)|wieder mal", -1),
        (r"(?:funktioniert|geht|laeuft|klappt) (?:jetzt |endlich |alles )*wieder|vielen dank", 2),
    ],
    "en": [
        (r"no (?:signal|service|internet|connection|network|coverage|reception|response|reply|answer)\w*", -2.5),
        (r"(?:not|\w+n't|never|cannot|cant|dont|doesnt|wont|isnt) (?:\w+ )?(?:working|work|connecting|loading)", -2),
        (r"thanks for nothing|never again", -2.5),
        (r"charged twice|double charged|switching to|still waiting|(?:is|went|goes|been) down", -2),
        (r"(?:don't|dont|do not|didn't|didnt|doesn't|doesnt) (?:like|love)", -1.5),
        (r"(?:works|working|back) (?:up )?again|back up|well done|thank you|(?:i|we) (?:really )?like", 2),
    ],
}
_NEGATORS = {
    "de": "nicht nichts kein keine keinen keinem keiner keines nie niemals ohne",
    "en": "not no never none nothing without cannot cant dont doesnt isnt wasnt arent wont didnt hardly nor",
}
_INTENSIFIERS = {
    "de": {w: 1.5 for w in "super sehr total extrem echt mega voll absolut richtig wirklich so voellig".split()}
    | {w: 0.6 for w in "etwas bisschen ziemlich eher".split()},
    "en": {w: 1.5 for w in "very really so extremely totally absolutely completely super utterly".split()}
    | {w: 0.6 for w in "slightly somewhat kinda bit fairly".split()},
}
_CONTRAST = {"aber", "jedoch", "allerdings", "but", "however"}
_SUFFIXES = ("e", "en", "er", "es", "em", "n", "s", "ed", "ing", "ly", "d")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "’": "'"})
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,;:!?]")
_STOP = frozenset(".,;:!?")
_EMOJI = re.compile(r"[😡😠🤬😤😞😢😭👎💩🙄😒😩😫]|:-?\(|:/|[😀😃😄😁😊🙂😍🥰👍❤♥💯🎉👏]|:-?\)|:D")
_NEGATIVE_EMOJI = set("😡😠🤬😤😞😢😭👎💩🙄😒😩😫") | {":(", ":-(", ":/"}
_ALPHA = 4.0  # how fast the summed weights saturate towards ±1
LABEL_AT = 0.3  # |score| needed for a negative or positive label


class _Lexicon:
    """One language's words, stems, compound heads, phrases, negators and intensifiers."""

    def __init__(self, langs: tuple[str, ...]):
        self.exact: dict[str, float] = {}
        self.prefix: dict[str, float] = {}
        self.heads: list[tuple[str, float]] = []
        for lang in langs:
            for weight, words in (_DE if lang == "de" else _EN).items():
                for w in words.split():
                    if w.startswith("*"):
                        self.heads.append((w.strip("*"), weight))
                    elif w.endswith("*"):
                        self.prefix[w[:-1]] = weight
                    else:
                        self.exact[w] = weight
        self.heads.sort(key=lambda hw: -len(hw[0]))
        phrases = [p for lang in langs for p in _PHRASES[lang]]
        self.phrase_weights = [w for _, w in phrases]
        self.phrases = re.compile("|".join(rf"(?P<p{i}>\b(?:{p})\b)" for i, (p, _) in enumerate(phrases)))
        self.negators = {w for lang in langs for w in _NEGATORS[lang].split()}
        self.intensifiers = {k: v for lang in langs for k, v in _INTENSIFIERS[lang].items()}
        self.negate_backwards = "de" in langs  # "gefällt mir nicht": German negates the verb before it
        self._cache: dict[str, float] = {}

    def weight(self, token: str) -> float:
        """The sentiment weight of one token (0 for neutral words), cached."""
        hit = self._cache.get(token)
        if hit is None:
            hit = self._lookup(token)
            if len(self._cache) > 200_000:
                self._cache.clear()  # posts bring endless new words; keep memory bounded
            self._cache[token] = hit
        return hit

    def _lookup(self, token: str) -> float:
        if token in self.exact:
            return self.exact[token]
        for suffix in _SUFFIXES:
            if token.endswith(suffix) and token[: -len(suffix)] in self.exact:
                return self.exact[token[: -len(suffix)]]
        for end in range(len(token), 2, -1):
            if token[:end] in self.prefix:
                return self.prefix[token[:end]]
        for head, w in self.heads:
            if head in token:
                return w
        return 0.0


class LexiconSentiment:
    """Fills scores.sentiment and scores.sentiment_score using the detected language's lexicon."""

    name = "sentiment"

    def __init__(self) -> None:
        self._lexicons = {"de": _Lexicon(("de",)), "en": _Lexicon(("en",)), "und": _Lexicon(("de", "en"))}

    def polarity(self, text: str, language: str = "und") -> float:
        """A score in [-1, 1]: below zero is negative."""
        lex = self._lexicons.get(language) or self._lexicons["und"]
        norm = text.lower().translate(_UMLAUTS)
        total = 0.0
        if lex.phrases.pattern and (found := list(lex.phrases.finditer(norm))):
            for m in found:
                total += lex.phrase_weights[int(m.lastgroup[1:])]
            for m in reversed(found):  # blank them out so their words do not count again
                norm = norm[: m.start()] + " , " + norm[m.end() :]
        tokens = _TOKEN.findall(norm)
        weights = [lex.weight(t) for t in tokens]
        n = len(tokens)
        for i, tok in enumerate(tokens):
            if tok in lex.intensifiers and i + 1 < n and weights[i + 1]:
                weights[i + 1] *= lex.intensifiers[tok]
                weights[i] = 0.0  # "super langsam": super only intensifies here
            elif tok in lex.negators or tok.endswith("n't"):
                _negate(tokens, weights, i, lex.negate_backwards)
        contrast = next((i for i, t in enumerate(tokens) if t in _CONTRAST), None)
        if contrast is not None:  # what follows "but" is what the writer means
            total += 0.5 * sum(weights[:contrast]) + 1.5 * sum(weights[contrast:])
        else:
            total += sum(weights)
        for m in _EMOJI.finditer(text):
            total += -1.5 if m.group() in _NEGATIVE_EMOJI else 1.5
        if total:
            total *= 1 + 0.15 * min(text.count("!"), 3)
            letters = [c for c in text if c.isalpha()]
            if len(letters) >= 8 and sum(c.isupper() for c in letters) > 0.6 * len(letters):
                total *= 1.2  # shouting
        return total / math.sqrt(total * total + _ALPHA)

    def score(self, posts: list[Post], scores: list[Scores]) -> None:
        """Score each post in its detected language ("und" uses both lexicons)."""
        for post, s in zip(posts, scores):
            value = self.polarity(post.text, s.language)
            s.sentiment_score = round(value, 4)
            s.sentiment = "negative" if value <= -LABEL_AT else "positive" if value >= LABEL_AT else "neutral"


def _negate(tokens: list[str], weights: list[float], at: int, backwards: bool) -> None:
    """Flip the next sentiment word within three tokens (German: else the one before)."""
    for j in range(at + 1, min(at + 4, len(tokens))):
        if tokens[j] in _STOP:
            break
        if weights[j]:
            weights[j] = _flip(weights[j])
            return
    if backwards:
        for j in range(at - 1, max(at - 4, -1), -1):
            if tokens[j] in _STOP:
                break
            if weights[j]:
                weights[j] = _flip(weights[j])
                return


def _flip(weight: float) -> float:
    # "not good" is as bad as "good" is good; "not bad" is only mildly positive.
    return -weight if weight > 0 else -0.5 * weight
