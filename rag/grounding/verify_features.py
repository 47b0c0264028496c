"""Hand-engineered features for the grounding judge in :mod:`rag.grounding.verify`.

Its stop words and stemmer are the judge's own variants in :mod:`index.lang`: its weights were
fitted on features computed with them. Everything here is pure text processing except
:func:`pair_features`, which takes an ``embed`` callable (texts -> unit vectors) so that all the
embeddings a batch needs are computed in one call. Nothing in this module imports torch.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from index.lang import JUDGE_STOPWORDS, MONTHS, NEGATORS, NUMBER_WORDS, ORDINALS, light_stem

__all__ = [
    "FEATURE_NAMES",
    "Analysis",
    "analyse",
    "entity_runs",
    "normalise",
    "pair_features",
    "tokens",
]

EmbedFn = Callable[[Sequence[str]], np.ndarray]

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
WP_ALL_COVERED = 0.6  # word-to-premise cosine used when no hypothesis word is missing
PRONOUNS = frozenset("he she it they his her its their him them this".split())
_NUM_RE = re.compile(r"^(\d[\d,]*(?:\.\d+)?)(?:s|st|nd|rd|th)?$")


def normalise(text: str) -> str:
    """Undo PTB tokenisation (``-LRB-``, ``` `` ```, ...), strip accents, collapse spaces."""
    text = _PTB_RE.sub(lambda m: _PTB[m.group(0)], text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"\s+'s\b", "'s", text)
    return " ".join(text.split())


def tokens(text: str) -> list[str]:
    """Word tokens of ``normalise(text)`` (punctuation dropped, ``L'Oreal``/``1,200`` kept)."""
    return _WORD_RE.findall(normalise(text))


def _match(a: str, b: str) -> bool:
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


def _numbers(words: list[str], *, claim: bool = False) -> set[float]:
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


def _kind(v: float) -> int:
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


def _date_miss(h_words: list[str], p_words: list[str]) -> int:
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


@dataclass(frozen=True)
class Analysis:
    """Lexical comparison of one (premise, hypothesis) pair."""

    features: dict[str, float]
    uncovered: tuple[str, ...]


def _content(words: list[str]) -> list[str]:
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


def _is_neg(words: list[str], i: int) -> bool:
    lw = words[i].lower()
    if lw in NEGATIONS or lw.endswith("n't"):
        return True
    nxt = words[i + 1].lower() if i + 1 < len(words) else ""
    return (lw, nxt) in _NEG_BIGRAMS


def _name_present(run: list[str], covered: Callable[[str], bool], p_runs: list[list[str]]) -> bool:
    """All words of ``run`` are in the premise, or a premise name is a sub-part of it."""
    hits = [covered(w) for w in run]
    if all(hits):
        return True
    run_stems = [light_stem(w) for w in run]
    shared = {s for s, hit in zip(run_stems, hits, strict=True) if hit}
    return any(shared & set(pr) and set(pr) <= set(run_stems) for pr in p_runs)


def _opens_with_name(p_words: list[str]) -> bool:
    """True when the premise's first word starts a name (not "It", "The film", "Several")."""
    p_runs = entity_runs(p_words[:6])
    if not p_runs or p_runs[0][0] != p_words[0]:
        return False
    first = p_words[0].lower()
    return not (first in LIGHT | NEGATIONS or first.endswith(("ing", "ed")))


def analyse(premise: str, hypothesis: str) -> Analysis:
    """Compute the lexical features of a pair, plus the words that need embeddings."""
    p_words, h_words = tokens(premise), tokens(hypothesis)
    p_stems = {light_stem(w) for w in p_words}
    p_parts = {part for w in p_words for part in w.lower().split("-")}

    def covered(w: str) -> bool:
        s = light_stem(w)
        return s in p_stems or any(_match(s, ps) for ps in p_stems)

    # Entities: a name is present if all its words are, or if the premise uses a shorter
    # form of it ("Dawkins" for "Richard Dawkins"); "Lund University" for "Uppsala
    # University" is a conflict. The claim's subject may be a pronoun or a description in
    # the premise ("She ...", "The film ..."), so it is excused unless the premise opens
    # with a name of its own.
    runs = entity_runs(h_words)
    ent_words = {w for r in runs for w in r}
    p_runs = [[light_stem(w) for w in r] for r in entity_runs(p_words)]
    run_hit = [_name_present(r, covered, p_runs) for r in runs]
    if (
        runs
        and not any(covered(w) for w in runs[0])
        and h_words.index(runs[0][0]) <= 1
        and not _opens_with_name(p_words)
    ):
        run_hit[0] = True
    ent_miss = sum(not hit for hit in run_hit)

    h_nums, p_nums = _numbers(h_words, claim=True), _numbers(p_words)
    missing = h_nums - p_nums
    # A swap: the premise states another number of the same kind (year, ordinal, other).
    num_swap = sum(any(_kind(v) == _kind(q) for q in p_nums) for v in missing)
    date_miss = _date_miss(h_words, p_words)

    h_content = [
        w for w in _content(h_words) if w not in ent_words and not _numbers([w]) and w.lower() not in NEGATIONS | LIGHT
    ]
    uncovered = [w for w in h_content if not covered(w)]
    cov = 1.0 - len(uncovered) / max(len(h_content), 1)
    unc_all = uncovered + [w for r, hit in zip(runs, run_hit, strict=True) if not hit for w in r]

    h_neg = sum(_is_neg(h_words, i) for i in range(len(h_words)))
    p_neg = sum(_is_neg(p_words, i) for i in range(len(p_words)))
    neg_mismatch = float((h_neg % 2) != (p_neg % 2))

    # Antonyms: the hypothesis word is absent but its opposite is in the premise.
    anto = 0
    for lw in {part for w in h_words for part in w.lower().split("-")}:
        if lw in p_parts:
            continue
        opposites = ANTONYMS.get(lw, set())
        if lw.startswith("un") and len(lw) > 5:
            opposites = opposites | {lw[2:]}
        if opposites & p_parts or ("un" + lw) in p_parts:
            anto += 1

    feats = {
        "cov": cov,
        "num_miss": float(min(len(missing), 2)),
        "n_uncov": float(min(len(uncovered), 4)),
        "num_swap": float(min(num_swap, 1)),
        "num_any": float(bool(h_nums)),
        "date_miss": float(min(date_miss, 1)),
        "ent_miss": float(min(ent_miss, 2)),
        "neg_mismatch": neg_mismatch,
        "neg_h": float(h_neg > 0),
        "anto": float(min(anto, 2)),
        "neg_x_cov": neg_mismatch * cov,
    }
    return Analysis(feats, tuple(dict.fromkeys(w.lower() for w in unc_all)))


FEATURE_NAMES: tuple[str, ...] = (
    "cov",
    "num_miss",
    "n_uncov",
    "num_swap",
    "num_any",
    "date_miss",
    "ent_miss",
    "neg_mismatch",
    "neg_h",
    "anto",
    "neg_x_cov",
    "cos",
    "wp_min",
    "wp_mean",
)
"""Column order of :func:`pair_features` (and of the weights in ``verify_weights.json``)."""


def pair_features(pairs: Sequence[tuple[str, str]], embed: EmbedFn) -> np.ndarray:
    """Feature matrix ``(len(pairs), len(FEATURE_NAMES))``; one ``embed`` call for the batch.

    The texts embedded are each distinct premise and hypothesis and each distinct
    hypothesis word the premise does not contain.
    """
    analyses = [analyse(p, h) for p, h in pairs]
    norm = [(normalise(p), normalise(h)) for p, h in pairs]
    texts: dict[str, int] = {}
    for (p, h), a in zip(norm, analyses, strict=True):
        for t in (p, h, *a.uncovered):
            texts.setdefault(t, len(texts))
    vecs = embed(list(texts)) if texts else np.zeros((0, 1), dtype=np.float32)
    rows = []
    for (p, h), a in zip(norm, analyses, strict=True):
        f = dict(a.features)
        pv = vecs[texts[p]]
        f["cos"] = float(pv @ vecs[texts[h]])
        if a.uncovered:
            sims = vecs[[texts[t] for t in a.uncovered]] @ pv
            f["wp_min"], f["wp_mean"] = float(sims.min()), float(sims.mean())
        else:
            f["wp_min"] = f["wp_mean"] = WP_ALL_COVERED
        rows.append([f[n] for n in FEATURE_NAMES])
    return np.asarray(rows, dtype=np.float64).reshape(len(pairs), len(FEATURE_NAMES))
