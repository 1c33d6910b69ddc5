"""Regular expressions compiled on first use.

The analysers hold many large patterns, most of which a given tree never needs (no
Gradle build, no lockfile of that kind); compiling them at import would cost every start
of the scan CLI, even on an empty directory.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator


class LazyPattern:
    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    @functools.cached_property
    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, self.flags)

    def search(self, text: str) -> re.Match[str] | None:
        return self.compiled.search(text)

    def match(self, text: str) -> re.Match[str] | None:
        return self.compiled.match(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text)

    def sub(self, repl: str | Callable[[re.Match[str]], str], text: str) -> str:
        return self.compiled.sub(repl, text)
