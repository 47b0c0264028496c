"""The answer stage: which retrieved sentences answer the question, and whether anything does."""

__all__: list[str] = []
