# Resilient Together: the Flask shell under gunicorn, production mode, embedded SQLite
# store on a volume. (The AWS deployment is Lambda + HTTP API, see infra/; this image is
# for any container host that terminates TLS in front of it.)
#
#   docker build -t resilient-together .
#   docker run -p 8000:8000 -e TOGETHER_SKILL_ID=amzn1.ask.skill.... \
#     -e TOGETHER_ID_SALT=... -v together-data:/data resilient-together
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TOGETHER_STORE=sqlite:////data/together.db

RUN groupadd --system --gid 10001 together \
    && useradd --system --uid 10001 --gid together --home-dir /nonexistent --shell /usr/sbin/nologin together \
    && mkdir -p /data \
    && chown together:together /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY skill ./skill
# Runtime dependencies only: no [dev] extras, no tests.
RUN pip install . && rm -rf /app/skill /app/build

USER together
VOLUME ["/data"]
EXPOSE 8000

# No curl in the slim image: python's urllib asks /healthz (503 when the store is down).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# Production mode: the skill id is required (every request's signature and skill id are
# verified), and so is a secret salt; the container refuses to start without them.
CMD ["sh", "-c", ": \"${TOGETHER_SKILL_ID:?TOGETHER_SKILL_ID must be set}\" \"${TOGETHER_ID_SALT:?TOGETHER_ID_SALT must be set (16+ random characters)}\"; exec gunicorn --bind 0.0.0.0:8000 --workers 2 --threads 2 --worker-class gthread 'skill.web.server:app()'"]
