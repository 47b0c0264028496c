"""What the answerability verifier reads: the question with the best evidence sentences as one text.

Sketch, then verify (Zhang et al., "Retrospective Reader", 2021): the ranker picks the sentences, the
verifier reads them together with the question and says whether they answer it at all. Training
(``train.verifier``) and the assistant build that text here, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["EVIDENCE", "VERIFIER_MAX_LENGTH", "evidence_text"]

EVIDENCE = 2  # sentences the verifier reads, best first
VERIFIER_MAX_LENGTH = 192  # wordpieces of question + evidence (longer evidence is cut)


def evidence_text(sentences: Sequence[str]) -> str:
    """The verifier's second segment: the evidence sentences, best first, joined by spaces."""
    return " ".join(" ".join(s.split()) for s in sentences)
