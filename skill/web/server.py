"""Serve the Flask app with gunicorn, in-process (``together serve``).

Also importable by gunicorn directly: ``gunicorn 'skill.web.server:app()'`` builds the
app from the environment (TOGETHER_* variables), which is how the Dockerfile runs it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from skill.runtime import Settings


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self._settings = settings
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from skill.web.app import create_app

        return create_app(self._settings)


def serve(settings: Settings, *, host: str, port: int, workers: int = 2) -> int:
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "threads": 4,
        "worker_class": "gthread",
        "timeout": 30,
        "accesslog": "-",
        # The access log holds paths and statuses only; Alexa requests carry no query.
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(L)ss',
        "limit_request_line": 4094,
        "limit_request_fields": 50,
    }
    _Gunicorn(settings, options).run()
    return 0


def app() -> Flask:
    from skill.web.app import create_app

    return create_app(Settings.from_env())
