"""The words of the grounding judge (:mod:`rag.grounding.verify`): tokens, numbers, dates, names, negations.

Pure text processing, with the judge's own stop words and stemmer from :mod:`index.lang`: its weights
(``verify_weights.json``) were fitted on features computed with exactly these lists, so they change only
with a refit (``evals.judge_fever``).
"""

from __future__ import annotations

import re

from index.lang import JUDGE_STOPWORDS, MONTHS, NEGATORS, NUMBER_WORDS, ORDINALS, fold_accents

__all__ = [
    "LIGHT",
    "NEGATIONS",
    "ANTONYMS",
    "PRONOUNS",
    "normalise",
    "tokens",
    "stems_match",
    "numbers",
    "number_kind",
    "date_misses",
    "content_words",
    "entity_runs",
    "is_negation",
]

_PTB = {
    "-LRB-": "(",
    "-RRB-": ")",
    "-LSB-": "[",
    "-RSB-": "]",
    "-LCB-": "{",
    "-RCB-": "}",
    "``": '"',
    "''": '"',
    "--": "-",
}
_PTB_RE = re.compile("|".join(re.escape(k) for k in sorted(_PTB, key=len, reverse=True)))
_WORD_RE = re.compile(r"[^\W_]+(?:[-'’.,][^\W_]+)*")

# Light words that carry little checkable content; ignored by the coverage count.
LIGHT = frozenset(
    """associated involved made make makes work works worked working something thing things
    person people type kind form name named located based took take place held considered
    described several many various exist exists existed got get gets part include includes
    included including""".split()
)
NEGATIONS = NEGATORS | frozenset(
    """can't n't refused refuses refuse failed fails fail unable declined declines decline denied denies deny
    lacks lack lacked absent incapable impossible rejected rejects reject ignored avoided avoids stopped
    never-""".split()
)
_ANTONYM_PAIRS = """begin:end start:end started:ended began:ended best:worst win:lose won:lost
    winning:losing winner:loser born:died alive:dead birth:death first:last success:failure
    successful:unsuccessful increase:decrease largest:smallest biggest:smallest large:small
    big:small before:after male:female man:woman men:women husband:wife son:daughter
    father:mother brother:sister king:queen older:younger oldest:youngest old:young more:less
    most:least high:low highest:lowest north:south east:west northern:southern eastern:western
    major:minor positive:negative accept:reject include:exclude true:false public:private
    early:late earlier:later earliest:latest above:below inside:outside rich:poor good:bad
    better:worse love:hate friend:enemy ally:enemy win:defeat victory:defeat open:closed
    opened:closed forward:backward top:bottom long:short longest:shortest tall:short heavy:light
    hot:cold war:peace modern:ancient domestic:foreign amateur:professional fiction:nonfiction
    comedy:drama comedy:tragedy present:absent always:never all:none many:few
    entered:left joined:left arrived:departed created:destroyed built:destroyed rise:fall
    rose:fell buy:sell bought:sold gain:loss popular:unpopular legal:illegal possible:impossible
    known:unknown official:unofficial formed:disbanded founded:dissolved remain:leave
    stayed:left day:night summer:winter spring:autumn""".split()
ANTONYMS: dict[str, set[str]] = {}
for _pair in _ANTONYM_PAIRS:
    _a, _b = _pair.split(":")
    ANTONYMS.setdefault(_a, set()).add(_b)
    ANTONYMS.setdefault(_b, set()).add(_a)
_MONTHS = frozenset(MONTHS)
# The number words the weights were fitted with: the cardinals and "single" ("half", "twice" were not).
_NUMBER_WORDS = NUMBER_WORDS | {"single": 1}
_CONNECTORS = frozenset("of de da di del von van der du la le the and".split())
_NEG_BIGRAMS = frozenset({("turned", "down"), ("yet", "to"), ("instead", "of"), ("rather", "than"), ("far", "from")})
PRONOUNS = frozenset("he she it they his her its their him them this".split())
_NUM_RE = re.compile(r"^(\d[\d,]*(?:\.\d+)?)(?:s|st|nd|rd|th)?$")


def normalise(text: str) -> str:
    """Undo PTB tokenisation (``-LRB-``, ``` `` ```, ...), strip accents, collapse spaces."""
    text = _PTB_RE.sub(lambda m: _PTB[m.group(0)], text)
    text = fold_accents(text)
    text = re.sub(r"\s+'s\b", "'s", text)
    return " ".join(text.split())


def tokens(text: str) -> list[str]:
    """Word tokens of ``normalise(text)`` (punctuation dropped, ``L'Oreal``/``1,200`` kept)."""
    return _WORD_RE.findall(normalise(text))


def stems_match(a: str, b: str) -> bool:
    """Two stems match if equal or one is a long-enough prefix of the other."""
    if a == b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 4


def _num(word: str) -> float | None:
    """Numeric value of a digit token (``1,200``, ``26th``, ``1990s``) or a number word."""
    lw = word.lower().replace("'s", "s")
    m = _NUM_RE.match(lw)
    if m:
        return float(m.group(1).replace(",", ""))
    if lw in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[lw])
    if lw in ORDINALS:
        return float(ORDINALS[lw])
    return None


def numbers(words: list[str], *, claim: bool = False) -> set[float]:
    """Values in ``words``. Ordinal words (``second``) are kept apart as negatives; a
    capitalised number word inside a sentence is a title ("One of the Boys"), not a number;
    and in a claim, "one" ("one of the founders") is not one either."""
    out: set[float] = set()
    for i, w in enumerate(words):
        if i > 0 and w[:1].isupper() and w.lower() in _NUMBER_WORDS.keys() | ORDINALS.keys():
            continue
        for part in w.split("-") if w.islower() else [w]:
            lw = part.lower()
            if claim and lw in ("one", "single"):
                continue
            v = _num(part)
            if v is not None:
                out.add(-v if lw in ORDINALS else v)
    return out


def _is_year(v: float) -> bool:
    return v.is_integer() and 1000 <= v <= 2100


def number_kind(v: float) -> int:
    return 2 if _is_year(v) else int(v < 0)


_Date = tuple[float | None, str | None, float | None]


def _dates(words: list[str]) -> list[_Date]:
    """(day, month, year) around each month name (``2 May 1990``, ``May 2, 1990``)."""
    out: list[_Date] = []
    for i, w in enumerate(words):
        month = w.lower()
        if month not in _MONTHS or (month == "may" and not (w[0].isupper() and i > 0)):
            continue
        after = [v for v in map(_num, words[i + 1 : i + 3]) if v is not None]
        before = _num(words[i - 1]) if i > 0 else None
        day = next((v for v in after[:1] if 1 <= v <= 31), None)
        if day is None and before is not None and 1 <= before <= 31:
            day = before
        year = next((v for v in after if 1000 <= v <= 2100), None)
        out.append((day, month, year))
    return out


def date_misses(h_words: list[str], p_words: list[str]) -> int:
    """Hypothesis dates with no premise date agreeing on every part both state."""
    p_dates = _dates(p_words)
    miss = 0
    for d, m, y in _dates(h_words):
        ok = any(
            m == pm and (d is None or pd is None or d == pd) and (y is None or py in (None, y))
            for pd, pm, py in p_dates
        )
        miss += not ok
    return miss


def content_words(words: list[str]) -> list[str]:
    return [w for w in words if w.lower() not in JUDGE_STOPWORDS and (len(w) > 1 or w.isdigit())]


def entity_runs(words: list[str]) -> list[list[str]]:
    """Runs of capitalised tokens (``of``/``de``/... allowed inside); months excluded."""
    runs: list[list[str]] = []
    cur: list[str] = []
    for i, w in enumerate(words):
        lw = w.lower()
        cap = w[:1].isupper() and lw not in _MONTHS and not (i == 0 and lw in JUDGE_STOPWORDS)
        if cap and lw not in JUDGE_STOPWORDS | PRONOUNS:
            cur.append(w)
        elif cur and lw in _CONNECTORS and i + 1 < len(words) and words[i + 1][:1].isupper():
            cur.append(w)
        elif cur:
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    return [[w for w in r if w.lower() not in _CONNECTORS] for r in runs]


def is_negation(words: list[str], i: int) -> bool:
    lw = words[i].lower()
    if lw in NEGATIONS or lw.endswith("n't"):
        return True
    nxt = words[i + 1].lower() if i + 1 < len(words) else ""
    return (lw, nxt) in _NEG_BIGRAMS
