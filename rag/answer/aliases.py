"""The names each indexed document's publisher goes by, indexed so a question looks up only its own words.

``rag.answer.question.question_terms`` finds the sources a question names by searching it for every
name of every document. At 10,000 documents that scan was 5-6 ms of every question (2 cores,
measured; 0.05-0.09 ms with this index), and it grows with the index. A name can only be found where
its first word is a whole word of the question (names match on word boundaries, and taking a name out
of the question never makes a new word), so indexing names by their first word and looking up the
question's words gives every document the scan could find, in the same order, at a cost that does not
grow with the index. Words here are ``str.isalnum`` runs, the scan's own boundary test, not
``index.text.words`` (which splits and joins differently).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = ["Aliases"]

# ``[^\W_]`` is exactly ``str.isalnum``, the boundary test the scan applies around a name.
_WORD = re.compile(r"[^\W_]+")


class Aliases(dict[str, set[str]]):
    """Document id -> names, as a plain dict, with ``named_in`` to narrow it to one question's candidates.

    Built once per view of the index; the index of first words is not updated if the dict is changed.
    """

    def __init__(self, by_doc: Mapping[str, Iterable[str]] | None = None) -> None:
        super().__init__({d: set(names) for d, names in (by_doc or {}).items()})
        self._order = {d: i for i, d in enumerate(self)}
        self._by_word: dict[str, set[str]] = {}
        self._always: set[str] = set()  # documents with a name that does not start with a word
        for doc_id, names in self.items():
            for name in names:
                low = name.lower()
                first = _WORD.match(low)
                if first is None:
                    self._always.add(doc_id)
                else:
                    self._by_word.setdefault(first.group(), set()).add(doc_id)

    def named_in(self, question: str) -> dict[str, set[str]]:
        """The documents (in this dict's order, with all their names) that ``question`` may name."""
        found = set(self._always)
        for word in set(_WORD.findall(question.lower())):
            found |= self._by_word.get(word, set())
        return {d: self[d] for d in sorted(found, key=self._order.__getitem__)}
