"""Serve the Flask app with gunicorn, in-process (``together serve``).

Also importable by gunicorn directly: ``gunicorn 'skill.web.server:app()'`` builds the
app from the environment (TOGETHER_* variables), which is how the Dockerfile runs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from skill.runtime import Settings

if TYPE_CHECKING:
    from flask import Flask


# Chosen from measurement (docs/PERFORMANCE.md, `make bench` on 2 cores): one worker per
# core; 2 threads each, so a turn waiting on I/O does not idle its core, while more
# threads only add GIL contention (the SQLite mix: 2x1 1,192-2,163 turns/s, 2x2
# 1,315-1,990, 2x4 1,114-1,513, 4x2 1,061; p99 lowest at 2x2).
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 2


def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    workers: int | None = None,
    threads: int | None = None,
) -> int:
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers or DEFAULT_WORKERS,
        "threads": threads or DEFAULT_THREADS,
        "worker_class": "gthread",
        "timeout": 30,
        "accesslog": "-",
        # The access log holds paths and statuses only; Alexa requests carry no query.
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(L)ss',
        "limit_request_line": 4094,
        "limit_request_fields": 50,
    }
    # Imported here: the gunicorn factory below runs inside gunicorn, which has it already.
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            from skill.web.app import create_app

            return create_app(settings)

    _Gunicorn().run()
    return 0


def app() -> Flask:
    """The app for ``gunicorn 'skill.web.server:app()'``: production unless TOGETHER_DEV
    is set, and then it refuses to start without the skill id and a secret salt."""
    from skill.web.app import create_app

    settings = Settings.from_env()
    if not settings.dev:
        settings.check_production()
    return create_app(settings)
