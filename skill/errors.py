"""The project's own exceptions: one family, so a shell can tell ours from a library's.

Every error the project raises on purpose derives from :class:`TogetherError`, and wraps
the library error it comes from (``raise ... from exc``). The shells catch this family
where they turn a failure into an answer (an HTTP status, a spoken apology); anything
else is a bug and reaches the one catch-all.
"""

from __future__ import annotations


class TogetherError(Exception):
    """Base of every error the project raises on purpose."""


class ConfigError(TogetherError):
    """The settings cannot run safely (production without a skill id or a salt...)."""
