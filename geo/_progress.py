"""Progress reporting kept at the edge: library code calls a :class:`Reporter`;
the CLI passes one backed by rich, everything else gets the silent default."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

T = TypeVar("T")


class Reporter(Protocol):
    def step(self, message: str) -> None: ...

    def track(self, items: Iterable[T], total: int | None, description: str) -> Iterator[T]: ...


class Silent:
    """The default reporter: says nothing."""

    def step(self, message: str) -> None:
        pass

    def track(self, items: Iterable[T], total: int | None, description: str) -> Iterator[T]:
        yield from items


SILENT = Silent()


class RichReporter:
    """Progress on stderr with rich: a spinner per step, a bar for tracked loops."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)

    def step(self, message: str) -> None:
        from rich.text import Text

        # Messages hold paths and names: plain text, never markup.
        self.console.print(Text.assemble(("•", "dim"), " ", message), soft_wrap=True)

    def track(self, items: Iterable[T], total: int | None, description: str) -> Iterator[T]:
        from rich.markup import escape
        from rich.progress import track

        yield from track(items, total=total, description=escape(description),
                         console=self.console)
