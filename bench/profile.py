"""``make profile``: where a turn's time goes, in process (no gunicorn, no sockets).

The bench's mix of signed requests is sent straight into the WSGI apps (the skill with
verification on and SQLite, and the bare ask-sdk-core baseline): CPU microseconds per
turn type for each, then a pyinstrument profile of the skill.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
os.environ.setdefault("BENCH_T0", str(time.time()))

from cryptography.hazmat.primitives.serialization import Encoding

from bench.bench import turns
from tests.certs import GOOD_URL, SKILL_ID, TestPKI

TURNS = 4000


def environ(signature: str, body: bytes) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/alexa",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "wsgi.url_scheme": "http",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(body),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_SIGNATURECERTCHAINURL": GOOD_URL,
        "HTTP_SIGNATURE_256": signature,
    }


def ok(status: str, _headers: Any, _exc: Any = None) -> Any:
    assert status.startswith("200"), status
    return lambda _data: None


def main() -> int:
    from pyinstrument import Profiler

    tmp = Path(tempfile.mkdtemp(prefix="together-profile-"))
    pki = TestPKI()
    (tmp / "root.pem").write_bytes(pki.root.public_bytes(Encoding.PEM))
    (tmp / "chain.pem").write_bytes(pki.documents[GOOD_URL])
    os.environ.update(
        BENCH_PKI=str(tmp),
        TOGETHER_SKILL_ID=SKILL_ID,
        TOGETHER_ID_SALT="profile-salt-0123456789",
        TOGETHER_STORE=f"sqlite:///{tmp / 'profile.db'}",
    )
    from bench.apps import baseline_app, skill_app

    requests = []
    for name, env in turns(TURNS, 1000, 5):
        body = json.dumps(env, separators=(",", ":")).encode()
        requests.append((pki.sign(body), body, name))
    apps = {"baseline": baseline_app(), "skill": skill_app()}
    for label, app in apps.items():
        for signature, body, _name in requests[:300]:
            b"".join(app(environ(signature, body), ok))
        per: dict[str, list[float]] = {}
        for signature, body, name in requests[300:]:
            started = time.process_time()
            b"".join(app(environ(signature, body), ok))
            per.setdefault(name, []).append(time.process_time() - started)
        every = [t for times in per.values() for t in times]
        kinds = ", ".join(f"{k} {sum(v) / len(v) * 1e6:.0f}" for k, v in sorted(per.items()))
        print(f"{label}: {sum(every) / len(every) * 1e6:.0f} us of CPU a turn ({kinds})")
    profiler = Profiler(interval=0.0002)
    app = apps["skill"]
    profiler.start()
    for signature, body, _name in requests[300:]:
        b"".join(app(environ(signature, body), ok))
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
