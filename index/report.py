"""What one build did: ``BuildReport``, returned by ``index.build.build_index`` and shown by the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.load import Skipped

__all__ = ["BuildReport"]


@dataclass
class BuildReport:
    """What one build did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)  # added or updated, vectors already saved (a resumed build)
    chunks: int = 0  # chunks embedded
    texts: int = 0  # texts (chunks + sentences) embedded
    published: bool = False  # a new generation was committed

    @property
    def embedded(self) -> int:
        """Documents that cost embedding work."""
        return len(self.added) + len(self.updated) - len(self.reused)

    def summary(self) -> str:
        """One line for the CLI."""
        reused = f" ({len(self.reused)} documents' saved vectors reused)" if self.reused else ""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped; {self.chunks} chunks embedded{reused}"
        )
