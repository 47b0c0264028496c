"""Reading a question: what it asks about (focus, terms, names) and which sources it names or quotes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from index.lang import (
    AUXILIARIES,
    DETERMINERS,
    MODALS,
    PERSONAL_PRONOUNS,
    STOPWORDS,
    WH_WORDS,
    alternation,
    stem,
)
from index.text import content_terms, is_entity_token, words
from rag.answer.aliases import Aliases

__all__ = [
    "META_TERMS",
    "FRAME_TERMS",
    "QuestionTerms",
    "question_terms",
    "focus_terms",
    "EXPLAIN",
    "REASON",
    "NOW",
    "COMPARE",
    "MULTI_PART",
    "split_parts",
]

# Words that steer *where* to look (which source, which article) rather than *what* is asked.
META_TERMS = frozenset(
    stem(w)
    for w in """article articles source sources document documents text piece report reports reported reporting
    commentary coverage author writer write writes wrote claim claims claimed state states stated note notes
    noted argue argues argued view views characterise characterize characterises characterizes characterised
    question answer outlet outlets newspaper newspapers paper papers magazine website blog columnist journalist
    reporter headline headlines heading headings title subtitle caption byline phrase phrases phrasing language
    image imagery metaphor metaphors sentence paragraph section sections passage quote quotation""".split()
)


# General question-frame words: they shape the question, they are not the fact it asks for.
FRAME_TERMS = frozenset(
    stem(w)
    for w in """kind type sort form effect effects impact role reason reasons purpose way ways example examples
    part extent degree percentage proportion share fraction amount number date time year month period duration
    length stage level aspect factor factors difference differences differ compare comparison similar view
    opinion stance position main key primary major overall specific exact particular condition conditions
    consequence consequences result outcome cause causes change changes takeaway takeaways upshot gist lesson
    lessons moral message point significance implication implications real actual true genuine span stretch
    spell timeframe timespan window category categories class variety posture attitude""".split()
)
_DO_MODAL = frozenset({"do", "does", "did"}) | MODALS
# Words between the wh-word and what it asks about ("what *is the* price", "what *did its* ministry ...").
_AUX = AUXILIARIES | MODALS | DETERMINERS | {"be", "been", "it", "there", "of"}
_WH_WORD = rf"(?:{alternation(WH_WORDS)})\b"
_INVERTED = rf"(?:{alternation(AUXILIARIES | MODALS)})\b"
EXPLAIN = re.compile(r"^\s*(?:why|how (?:do|does|did|would|could|can|has|have|is|are)\b)", re.I)
REASON = re.compile(
    r"\b(?:because|since|as (?:it|they|he|she|we)|in (?:hopes?|order|an effort) (?:of|to)|so that|due to|"
    r"owing to|citing|in response to|aim(?:s|ed|ing)? to|seek(?:s|ing)? to|amid|under pressure)\b",
    re.I,
)
NOW = re.compile(r"\b(?:today|now|nowadays|currently|current|presently|at present|at the moment)\b", re.I)
COMPARE = re.compile(
    r"\b(?:differ\w*|compar\w*|contrast\w*|both (?:articles|sources|reports|pieces)|"
    r"(?:two|the) (?:articles|sources|reports|outlets)|"
    r"(?:do|does|did) (?:the two|both|they) (?:\w+ )?(?:agree|disagree))\b",
    re.I,
)
# A second question after "and", a comma or a semicolon ("..., and what set it off?"). Only these verbs:
# with "has" as well, "While it courts Beijing, has the bloc ...?" cites a stray second sentence.
MULTI_PART = re.compile(
    rf"(?:\band\b|,|;)\s*(?:{alternation(WH_WORDS - {'whom', 'whose'})}|do|does|did|is|are|was)\b", re.I
)
_LEAD = r"(?:[^,:;?]{0,40}[,:]\s*)?"  # "Using both articles: ...", "By REEx's figures, ..."
_PREP = r"(?:(?:in|on|at|by|for|from|since|to|of|with)\s+)?"  # "in which month...", "by what percentage..."
# A wh-word opening a question, not a clause ("where *the* SCMP describes..."), or an inverted verb.
_IS_QUESTION = re.compile(
    rf"^\s*{_LEAD}{_PREP}(?:{_WH_WORD}(?!\s+(?:{alternation(DETERMINERS | PERSONAL_PRONOUNS)})\b)|{_INVERTED})",
    re.I,
)
_PART_BREAK = re.compile(
    rf"(?:,?\s+and\s+|\s*[,;]\s+(?:and\s+)?|\?\s+)(?=(?:according to [^,?]{{1,40}},\s*)?{_PREP}{_WH_WORD})",
    re.I,
)


def split_parts(question: str) -> list[str]:
    """The sub-questions of a two-part question ("How long have they talked, and what set it off?").

    Only where both sides are questions of their own: the first asks (a wh-word or an inverted verb),
    the second starts a new wh-clause after "and", a comma or a question mark, and asks about something
    (a content word, not just "what do both articles say?"). Otherwise the question itself.
    """
    for m in _PART_BREAK.finditer(question):
        head, tail = question[: m.start()].strip(" ,;"), question[m.end() :].strip()
        asks = [t for t in content_terms(tail) if stem(t) not in META_TERMS and stem(t) not in FRAME_TERMS]
        if _IS_QUESTION.match(head) and len(words(head)) >= 3 and asks:
            lead = re.match(r"^[^,:;?]{0,40}:\s*", head)  # a frame before a colon applies to both parts
            return [head, (lead.group(0) if lead else "") + tail]
    return [question]


# A named source is the *speaker* ("according to REEx", "what does the Post report") rather than the
# topic ("when was the SCMP report published?"): only then must the answer come from that source. A bare
# "report" after the name is the noun ("the Post report"); the verb after one publisher is "reports".
_BEFORE_SPEAKER = re.compile(r"(?:according to|\bper|\bin|\bby|\bdoes|\bdid|\bdo)\s+(?:the\s+)?$")
_AFTER_SPEAKER = re.compile(
    r"(?:['’]s?\s+(?:view|account|reading|take|analysis|commentary|judg\w*)|\s+(?:say|says|said|reports|"
    r"reported|argue\w*|write\w*|wrote|claim\w*|think\w*|consider\w*|see|sees|characteri\w*|describe\w*|"
    r"note\w*|judge\w*|present\w*|frame\w*|call\w*|cite\w*|suggest\w*|warn\w*))\b"
)
_VERB_PREPOSITIONS = frozenset("on upon to from with".split())  # "depends on", "belongs to" (not "facts about")
_PREPOSITIONS = frozenset("on upon to with from in into for at about over against per by under as than".split())

# Nouns that name a *kind* of answer ("what new obstacle...", "what fresh disruption..."), like the frame
# words, but kept as terms for matching: they are not a topic the corpus must mention.
_GENERIC = frozenset(
    stem(w)
    for w in """obstacle obstacles problem problems issue issues challenge challenges threat threats risk risks
    concern concerns worry worries danger dangers difficulty difficulties hurdle hurdles barrier barriers
    disruption disruptions setback setbacks benefit benefits advantage advantages drawback drawbacks goal goals
    aim aims objective objectives purpose motive motives step steps move moves measure measures action actions
    development developments event events thing things matter matters idea ideas point points""".split()
)

_CONTRACTED = re.compile(rf"\b({alternation(WH_WORDS)})['’]s\b", re.I)  # "what's" -> "what is"

# -ly adverbs ("ultimately", "deliberately"): they qualify the verb, they are never the asked thing.
_ADVERB = re.compile(r"(?:ately|ally|fully|ively|ously|ently|antly|ingly|edly|ily)$")


def focus_terms(question: str) -> list[str]:
    """The noun phrase a wh-question asks about ("how much does it *cost*", "who is the *chief executive*").

    Only questions that ask for a thing have one; "why", "how", "when" and yes/no questions ask about
    a predicate, which the answer-type and coverage checks handle instead.
    """
    toks = words(_CONTRACTED.sub(r"\1 is", question))
    lows = [t.lower() for t in toks]
    at = next((i for i, w in enumerate(lows) if w in WH_WORDS), None)
    if at is None or lows[at] in ("why", "when", "where"):
        return []
    j = at + 1
    if lows[at] in ("who", "whom") and j < len(lows) and lows[j] not in _AUX:
        return []  # "who decides which buyers...?": a verb follows, the asked thing is its subject
    if lows[at] == "how":
        if j >= len(lows) or lows[j] not in ("many", "much"):
            return []
        j += 1
    framed = j < len(lows) and stem(lows[j]) in FRAME_TERMS
    if framed:
        while j < len(lows) and (stem(lows[j]) in FRAME_TERMS or lows[j] == "of"):
            j += 1
        if j < len(lows) and lows[j] in _AUX and lows[j] not in _DO_MODAL and lows[j] != "of":
            return []  # "what reason is there?": the asked thing is the generic frame word
        # "what reason did the Dutch government give?", "by what percentage did *prices* rise?": the
        # subject after do/modal is what the frame word is about.
    # "what does the EU lack?": after do/modal the noun phrase is the subject and a verb follows it.
    inverted = lows[at] != "how" and j < len(lows) and lows[j] in _DO_MODAL
    while j < len(lows) and lows[j] in _AUX:
        j += 1
    out: list[str] = []
    while j < len(lows) and len(out) < 3 and lows[j] not in STOPWORDS and stem(lows[j]) not in META_TERMS:
        if (out or framed) and lows[j].endswith(("ing", "ed")):
            break  # "what is the EU pushing ahead with?", "how many months passed?": a verb ends the phrase
        if out and j + 1 < len(lows) and lows[j + 1] in DETERMINERS:
            break  # "which ministry *issues the* licences?": a word taking an object is the verb
        nxt = lows[j + 1] if j + 1 < len(lows) else ""
        if out and (
            (inverted and (nxt in _PREPOSITIONS or not nxt) and not lows[j].endswith("s"))
            or (not inverted and nxt in _VERB_PREPOSITIONS and re.search(r"[^s]s$", lows[j]))
        ):
            # The verb before a preposition or the end: "which industry *depends on* chips?", and after
            # do/modal its base form: "in which month did the Dutch government *act against* Nexperia?"
            break
        if _ADVERB.search(lows[j]):
            if out:
                break  # "what is Brussels ultimately trying to get?"
            j += 1
            continue
        if stem(lows[j]) in _GENERIC:
            return []  # "what fresh *disruption*": the head names a kind of answer, its modifiers no topic
        if stem(lows[j]) not in FRAME_TERMS:
            out.append(toks[j])
        j += 1
    return out


@dataclass(frozen=True)
class QuestionTerms:
    """The question's content terms, split into what it asks and which sources it names."""

    terms: tuple[str, ...]
    entities: tuple[str, ...]
    sources: frozenset[str]  # doc ids the question names
    attributed: frozenset[str] = frozenset()  # ... as the speaker ("according to X", "X says")


def _coordinated(question: str, aliases: Mapping[str, set[str]], speakers: set[str]) -> set[str]:
    """Sources joined to a speaker by "and"/"or" ("do *the SCMP and REEx* agree...?") speak too."""
    low = question.lower()
    spans = []
    for doc_id, names in aliases.items():
        hits = [(m.start(), m.end()) for n in names for m in re.finditer(rf"(?<!\w){re.escape(n.lower())}(?!\w)", low)]
        spans += [(a, b, doc_id) for a, b in hits]
    spans.sort()
    out: set[str] = set()
    for (_, end, d1), (start, _, d2) in zip(spans, spans[1:]):
        if (
            d1 != d2
            and (d1 in speakers or d2 in speakers)
            and re.fullmatch(r"\s*(?:,|and|or|&)\s+(?:the\s+)?", low[end:start])
        ):
            out |= {d1, d2}
    return out


def question_terms(question: str, aliases: Mapping[str, set[str]]) -> QuestionTerms:
    """Split ``question`` into asked-about terms, named entities and the sources it names.

    ``aliases`` (document id -> names) is best an ``Aliases``: then only the documents whose names
    start with one of the question's words are searched for."""
    if isinstance(aliases, Aliases):
        aliases = aliases.named_in(question)
    text = question
    sources: set[str] = set()
    speakers: set[str] = set()
    for doc_id, names in aliases.items():
        for name in sorted(names, key=len, reverse=True):
            low = text.lower()
            at = low.find(name.lower())
            if at >= 0 and (at == 0 or not low[at - 1].isalnum()):
                end = at + len(name)
                if end == len(low) or not low[end].isalnum():
                    sources.add(doc_id)
                    if _BEFORE_SPEAKER.search(low[max(0, at - 20) : at]) or _AFTER_SPEAKER.match(low[end:]):
                        speakers.add(doc_id)
                    text = text[:at] + " " + text[end:]
    if len(speakers) == 1 and len(sources) > 1:
        speakers |= _coordinated(question, aliases, speakers)
    terms = [t for t in content_terms(text) if stem(t) not in META_TERMS and stem(t) not in FRAME_TERMS]
    toks = words(text)
    first = toks[0] if toks else ""
    entities = [t for t in terms if is_entity_token(t, first=t == first) and not t.isdigit()]
    return QuestionTerms(
        tuple(dict.fromkeys(terms)), tuple(dict.fromkeys(entities)), frozenset(sources), frozenset(speakers)
    )
