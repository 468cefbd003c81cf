"""Project-wide constants and environment variable names, in one place.

Anything more than one module needs to agree on lives here: the environment variables
the shells read, the development salt, the simulated skill id, where the interaction
models are, and the limits on what the skill captures and speaks.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The interaction models, one JSON file per locale.
MODELS_DIR = ROOT / "interaction_models"

# -- environment variables ------------------------------------------------------------------
ENV_STORE = "TOGETHER_STORE"
ENV_SKILL_ID = "TOGETHER_SKILL_ID"
ENV_DEV = "TOGETHER_DEV"
ENV_SALT = "TOGETHER_ID_SALT"
ENV_RETENTION_DAYS = "TOGETHER_RETENTION_DAYS"
ENV_LOG_LEVEL = "TOGETHER_LOG_LEVEL"
# Alexa+ (the MCP server at /mcp): the OAuth issuer whose tokens it accepts, the audiences
# (comma-separated; Amazon Cognito access tokens carry the app client id as client_id),
# the public URL of /mcp (the protected resource), and the authorization server the
# metadata names (the issuer when unset).
ENV_MCP_ISSUER = "TOGETHER_MCP_ISSUER"
ENV_MCP_AUDIENCE = "TOGETHER_MCP_AUDIENCE"
ENV_MCP_RESOURCE = "TOGETHER_MCP_RESOURCE"
ENV_MCP_AUTHORIZATION_SERVER = "TOGETHER_MCP_AUTHORIZATION_SERVER"
# ... and, for an issuer without RFC 8414 metadata of its own (Amazon Cognito), its
# authorization and token endpoints: the server then publishes that metadata itself, at
# the authorization server's /.well-known/oauth-authorization-server (set the
# authorization server to this service's own base URL).
ENV_MCP_AUTHORIZE_URL = "TOGETHER_MCP_AUTHORIZE_URL"
ENV_MCP_TOKEN_URL = "TOGETHER_MCP_TOKEN_URL"  # noqa: S105 - a variable name

#: The salt of the one-way id hashes in dev mode, tests and the simulator. It is in the
#: source, so it is public: production refuses it (and any salt shorter than
#: :data:`MIN_SALT_CHARS`).
DEV_SALT = "resilient-together"
#: 16 characters of `openssl rand -hex 32` output are 64 bits of secret: too many to guess.
MIN_SALT_CHARS = 16

#: The household the simulator talks as by default (``--household local``), and the one
#: the Alexa+ tools use in dev mode, so `together chat` and `make run`'s /mcp share it.
LOCAL_USER_ID = "amzn1.ask.account.local"

#: The skill id the simulator puts in its envelopes (and dev mode accepts).
SIM_SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"

#: Captured free text (a gratitude, a win) is kept to this many characters. Alexa hands a
#: slot one utterance, about 8 s of speech (~25 words, ~150 characters); 250 leaves room
#: for the longest real answer and bounds what recall reads back (see MAX_SSML_CHARS).
MAX_CAPTURED_CHARS = 250
#: ... and to this many characters once escaped for SSML (an apostrophe is 6: ``&apos;``),
#: so recall of three of each kind stays far under Alexa's limit whatever the text.
MAX_CAPTURED_SSML_CHARS = 500
#: What the skill reads from a slot: four times what a voice says in one go, so a long
#: typed utterance (the Alexa app takes text) is still screened whole for crisis
#: language, and its echo stays far under the SSML limit. What is stored is clipped to
#: MAX_CAPTURED_CHARS.
MAX_SLOT_CHARS = 1000
MAX_SLOT_SSML_CHARS = 2000
#: Alexa refuses output speech over 8,000 characters (SSML included).
MAX_SSML_CHARS = 8000
