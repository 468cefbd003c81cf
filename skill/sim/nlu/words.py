"""The simulator's language packs: the words it needs to hear a household the way Alexa
would, per language, in ``skill/content/<lang>/sim.toml`` (no words of a language in
code). Loaded by language name; a language without a pack is a clear error."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from skill.errors import TogetherError

# skill/content/<lang>/sim.toml (read directly: the content package's loader is for the
# skill's words, this is the simulator's)
CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"


class LanguagePackError(TogetherError):
    """A language has no simulator pack, or the pack is malformed."""


@dataclass(frozen=True)
class SimWords:
    """One language's pack, read as the typed tables the matcher uses."""

    language: str
    data: dict[str, Any]

    def _get(self, key: str) -> Any:
        try:
            return self.data[key]
        except KeyError:
            raise LanguagePackError(
                f"skill/content/{self.language}/sim.toml has no {key!r}"
            ) from None

    def words(self, key: str) -> list[str]:
        return [str(w) for w in self._get(key)]

    def set(self, key: str) -> frozenset[str]:
        return frozenset(self.words(key))

    def groups(self, key: str) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(str(w) for w in group) for group in self._get(key))

    def strings(self, key: str) -> dict[str, str]:
        return {str(k): str(v) for k, v in self._get(key).items()}

    def numbers(self, key: str) -> dict[str, int]:
        return {str(k): int(v) for k, v in self._get(key).items()}

    def table(self, key: str) -> dict[str, list[str]]:
        return {str(k): [str(w) for w in v] for k, v in self._get(key).items()}


@cache
def load_words(language: str) -> SimWords:
    """The pack of ``language`` ("en"), or LanguagePackError naming the missing file."""
    path = CONTENT_DIR / language / "sim.toml"
    if not path.is_file():
        raise LanguagePackError(f"no simulator language pack for {language!r}: expected {path}")
    with path.open("rb") as fh:
        return SimWords(language, tomllib.load(fh))


# The matcher's words today are English for every model it reads; a Spanish pack comes
# with the Spanish locales.
ENGLISH = load_words("en")
