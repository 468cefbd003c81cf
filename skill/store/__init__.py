"""Household stores: the contract and its backends, chosen by URL."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

from skill.constants import ENV_STORE
from skill.store.base import (
    Change,
    Conflict,
    Entry,
    HouseholdStore,
    Snapshot,
    StoreError,
    hash_id,
)

__all__ = [
    "Change",
    "Conflict",
    "Entry",
    "HouseholdStore",
    "Snapshot",
    "StoreError",
    "default_store_url",
    "hash_id",
    "open_store",
]


def _data_dir() -> Path:
    """The user's data directory (XDG on Linux, the usual places elsewhere)."""
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    elif sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home()))
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "resilient-together"


def default_store_url() -> str:
    """``TOGETHER_STORE`` when set, else a SQLite file in the user's data directory."""
    return os.environ.get(ENV_STORE) or f"sqlite:///{_data_dir() / 'together.db'}"


def open_store(url: str) -> HouseholdStore:
    """Open a store from a URL: ``sqlite:///PATH`` (relative or absolute path) or
    ``dynamodb://TABLE`` (region, credentials and endpoint from the environment)."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        from skill.store.sqlite import SqliteStore

        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else parsed.path
        if not path:
            raise ValueError(f"sqlite store URL needs a path: {url!r}")
        # sqlite:////abs/path -> "/abs/path"; sqlite:///rel/path -> "rel/path"
        return SqliteStore(path)
    if parsed.scheme == "dynamodb":
        from skill.store.dynamodb import DynamoStore, make_client

        table = parsed.netloc
        if not table or parsed.path not in ("", "/"):
            raise ValueError(f"dynamodb store URL needs a table name: {url!r}")
        return DynamoStore(table, make_client())
    raise ValueError(f"unknown store URL {url!r}: use sqlite:///PATH or dynamodb://TABLE")
