"""Grounding: citations as exact, re-checked spans, the judge that verifies a claim against one, and the
guards that keep instructions out of answers."""

__all__: list[str] = []
