"""Training of the learned answer stage (``make train``): not imported by ``rag`` at run time (it needs torch)."""

__all__: list[str] = []
