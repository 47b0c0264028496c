"""Retrieval: the committed index generation a question reads, its hybrid search and the candidate sentences."""

__all__: list[str] = []
