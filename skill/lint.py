"""``together lint``: check the interaction models and the content before Amazon does.

Every check returns :class:`Finding` objects (file, line, rule, message, severity) and
takes its input as paths or data, so tests can feed it a broken copy. ``lint()`` runs
them all over the repository: every ``interaction_models/*.json`` present, and every
content locale in ``skill/content/locales.toml``.

Rules (the ``[rule]`` in each message):

models
    ``model-json``            the file is not valid JSON or not an interaction model
    ``invocation-name``       lowercase letters and spaces, two or more words, no launch
                              or connecting words, none of alexa/amazon/echo/skill/app
    ``sample-chars``          letters, spaces, apostrophes, periods in abbreviations
                              ("a.m.") and ``{slot}`` references only
    ``slot-undefined``        a sample refers to a slot its intent does not define
    ``slot-unused``           a defined slot appears in no sample (intent or slot samples)
    ``slot-type``             a custom slot type that the model does not define
    ``duplicate-utterance``   one utterance (lower case, spaces collapsed) in two intents
    ``searchquery-alone``     an AMAZON.SearchQuery slot as the whole intent sample
    ``searchquery-multiple``  more than one AMAZON.SearchQuery slot in one sample
    ``builtin-missing``       a required built-in intent (Help, Stop, Cancel, Fallback,
                              NavigateHome, and every other one the skill handles) is
                              missing
    ``intent-unhandled``      an intent in the model that no handler handles
    ``intent-missing``        a handled custom intent missing from the model
    ``dialog``                dialog rules naming an unknown intent, slot or prompt
    ``model-generated``       CrisisIntent's samples or the ListenIntent catch-all differ
                              from what the crisis language pack generates
                              (``together models --write`` brings them back in line)
locales
    ``locale-parity``         models differ in intents or slots (names, types)
    ``locale-model``          a content locale without a model (warning: en-US is used)
content (each variant rendered as the skill would, through ``Voice.say``)
    ``content-slots``         a slot a key may not use, or a required slot left out
    ``content-key``           a key missing in a locale, or unknown
    ``ssml-xml``              not well-formed XML once wrapped in ``<speak>``
    ``ssml-tag``              an element Alexa does not support (see ``ALEXA_SSML_TAGS``)
    ``ssml-break``            a break over 10 s, or one Alexa cannot read
    ``ssml-length``           over 8,000 characters
    ``ssml-escape``           a hostile slot value came out unescaped
offers
    ``offered-words``         an option the skill names (``<lang>/offers.toml``) that the
                              locale's model does not understand as that option, or that
                              no variant names any more
breathing
    ``breathing-round``       a round (each pattern, 1 to 10 minutes) over 8,000
                              characters or with a break over 10 s
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import string
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

from skill.constants import MAX_SSML_CHARS
from skill.constants import MODELS_DIR as MODELS_DIR
from skill.content import (
    CONTENT_DIR,
    Breathing,
    Content,
    ContentError,
    load,
)
from skill.content.keys import SPEECH_KEYS, Key
from skill.core import breathing as br
from skill.core.ssml import MAX_BREAK_S, Markup, Voice, breaks

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_LOCALE = "en-US"

ERROR = "error"
WARNING = "warning"

INVOCATION_LAUNCH_WORDS = frozenset(
    ["open", "ask", "start", "launch", "load", "begin", "tell", "play", "run", "use", "talk"]
)
INVOCATION_CONNECTING_WORDS = frozenset(
    ["to", "from", "in", "using", "with", "about", "for", "that", "by", "if", "and", "whether"]
)
INVOCATION_FORBIDDEN_WORDS = frozenset(["alexa", "amazon", "echo", "skill", "app"])

#: Built-in intents every model must carry (Amazon requires the first five).
REQUIRED_BUILTINS = (
    "AMAZON.HelpIntent",
    "AMAZON.StopIntent",
    "AMAZON.CancelIntent",
    "AMAZON.FallbackIntent",
    "AMAZON.NavigateHomeIntent",
)

SEARCH_QUERY = "AMAZON.SearchQuery"

#: Every SSML element Alexa supports
#: (https://developer.amazon.com/docs/alexa/custom-skills/speech-synthesis-markup-language-ssml-reference.html).
ALEXA_SSML_TAGS = frozenset(
    {
        "speak",
        "break",
        "say-as",
        "emphasis",
        "prosody",
        "p",
        "s",
        "sub",
        "phoneme",
        "lang",
        "voice",
        "amazon:effect",
        "amazon:domain",
        "amazon:emotion",
        "audio",
        "w",
        "alexa:name",  # a recognised voice's name (personalisation)
    }
)
_AMAZON_NS = "urn:resilient-together:amazon-ssml"
_ALEXA_NS = "urn:resilient-together:alexa-ssml"

#: What a slot is filled with when content is linted: everything escaping must handle.
HOSTILE_VALUE = 'Tom & Jerry\'s <b>"tea"</b> ]]> &amp;'

_SLOT_REF = re.compile(r"\{([^{}]*)\}")
_SLOT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]*)*\Z")
_ABBREVIATION = re.compile(r"(?:[^\W\d_]\.){2,}\Z|(?:mr|mrs|ms|dr|st|jr|sr|mt|vs)\.\Z")
_TIME = re.compile(r"(\d+(?:\.\d+)?)(s|ms)\Z")


@dataclass(frozen=True)
class Finding:
    """One problem: where it is, which rule, what is wrong, and how bad."""

    path: str
    line: int
    rule: str
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        tag = "" if self.severity == ERROR else f" ({self.severity})"
        return f"{self.path}:{self.line}: [{self.rule}]{tag} {self.message}"

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]


def _show(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- locating


class Locator:
    """Finds the line of a value in a TOML file's text by searching for it (approximate,
    but never before the anchor it is asked to search from)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def line_at(self, pos: int) -> int:
        return self.text.count("\n", 0, max(0, pos)) + 1

    def find(self, needles: Sequence[str], start: int = 0) -> int:
        """Position of the first needle found at or after start (else start)."""
        for needle in needles:
            if not needle:
                continue
            at = self.text.find(needle, start)
            if at >= 0:
                return at
        return start


# --------------------------------------------------------------------------- models

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
JsonPath = tuple[str | int, ...]


def json_positions(text: str) -> dict[JsonPath, int]:
    """Where each value of a (valid) JSON document starts: path -> offset.

    The path of a value is its keys and list indexes from the root, so the line of the
    third sample of the second intent is exact, not a guess by searching."""
    out: dict[JsonPath, int] = {}

    def skip(i: int) -> int:
        match = _WS.match(text, i)
        return match.end() if match else i

    def value(i: int, path: JsonPath) -> int:
        i = skip(i)
        out[path] = i
        ch = text[i]
        if ch == '"':
            return int(scanstring(text, i + 1)[1])
        if ch in "{[":
            close = "}" if ch == "{" else "]"
            i = skip(i + 1)
            index = 0
            while text[i] != close:
                if ch == "{":
                    key, i = scanstring(text, i + 1)
                    i = skip(i) + 1  # the colon
                    i = skip(value(i, (*path, key)))
                else:
                    i = skip(value(i, (*path, index)))
                    index += 1
                if text[i] == ",":
                    i = skip(i + 1)
            return i + 1
        for literal in ("true", "false", "null"):
            if text.startswith(literal, i):
                return i + len(literal)
        match = _NUMBER.match(text, i)
        if match is None:
            raise ValueError(f"not JSON at offset {i}")
        return match.end()

    value(0, ())
    return out


LM: JsonPath = ("interactionModel", "languageModel")


@dataclass
class Model:
    """One interaction model file, parsed, with where each value is in its text."""

    locale: str
    path: Path
    data: dict[str, Any]
    text: str
    positions: dict[JsonPath, int]

    @property
    def shown(self) -> str:
        return _show(self.path)

    @property
    def language(self) -> dict[str, Any]:
        lm: dict[str, Any] = self.data["interactionModel"]["languageModel"]
        return lm

    def line(self, *path: str | int) -> int:
        """The line of the value at path (or of its nearest enclosing value)."""
        key: JsonPath = tuple(path)
        while key and key not in self.positions:
            key = key[:-1]
        return self.text.count("\n", 0, self.positions.get(key, 0)) + 1

    def intents(self) -> list[tuple[int, dict[str, Any]]]:
        return [
            (n, i)
            for n, i in enumerate(self.language.get("intents", []) or [])
            if isinstance(i, dict)
        ]

    def intent_line(self, name: str) -> int:
        for n, intent in self.intents():
            if intent.get("name") == name:
                return self.line(*LM, "intents", n, "name")
        return self.line(*LM, "intents")

    def signature(self) -> dict[str, dict[str, str]]:
        """intent -> {slot name: slot type}."""
        return {
            str(i.get("name")): {
                str(s.get("name")): str(s.get("type")) for s in i.get("slots", []) or []
            }
            for _, i in self.intents()
        }


def read_model(path: Path) -> tuple[Model | None, list[Finding]]:
    text = path.read_text(encoding="utf-8")
    shown = _show(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [Finding(shown, exc.lineno, "model-json", f"not valid JSON: {exc.msg}")]
    root = data.get("interactionModel") if isinstance(data, dict) else None
    if not isinstance(root, dict) or not isinstance(root.get("languageModel"), dict):
        return None, [Finding(shown, 1, "model-json", "no interactionModel.languageModel")]
    return Model(path.stem, path, data, text, json_positions(text)), []


def read_models(models_dir: Path = MODELS_DIR) -> tuple[list[Model], list[Finding]]:
    models, findings = [], []
    for path in sorted(models_dir.glob("*.json")):
        model, problems = read_model(path)
        findings += problems
        if model is not None:
            models.append(model)
    return models, findings


def lint_invocation(model: Model) -> list[Finding]:
    name = model.language.get("invocationName")
    line = model.line(*LM, "invocationName")

    def bad(message: str) -> Finding:
        return Finding(model.shown, line, "invocation-name", f"invocation name {name!r} {message}")

    if not isinstance(name, str) or not name:
        return [Finding(model.shown, line, "invocation-name", "no invocationName")]
    out = []
    if not re.fullmatch(r"[a-z ]+", name):
        out.append(bad("may contain only lowercase letters and spaces"))
    words = name.split()
    if name != " ".join(words):
        out.append(bad("has leading, trailing or doubled spaces"))
    if len(words) < 2:
        out.append(bad("needs at least two words"))
    for label, banned in (
        ("a launch word", INVOCATION_LAUNCH_WORDS),
        ("a connecting word", INVOCATION_CONNECTING_WORDS),
        ("a reserved word", INVOCATION_FORBIDDEN_WORDS),
    ):
        hits = sorted(set(words) & banned)
        if hits:
            out.append(bad(f"contains {label}: {', '.join(hits)}"))
    return out


def sample_slots(sample: str) -> list[str]:
    return _SLOT_REF.findall(sample)


def normalise_sample(sample: str) -> str:
    return " ".join(sample.lower().split())


def _sample_char_problem(sample: str) -> str | None:
    if not sample.strip():
        return "is empty"
    rest = _SLOT_REF.sub(" ", sample)
    if "{" in rest or "}" in rest:
        return "has an unbalanced brace"
    for ref in sample_slots(sample):
        if not _SLOT_NAME.match(ref):
            return f"has a bad slot reference {{{ref}}}"
    for word in rest.split():
        if _WORD.match(word) or _ABBREVIATION.match(word.lower()):
            continue
        if any(ch.isdigit() for ch in word):
            return f"has digits in {word!r} (spell numbers out)"
        return f"has characters Alexa does not allow in {word!r}"
    return None


def _check_sample(
    shown: str, line: int, label: str, sample: str, intent: str, types: Mapping[str, str]
) -> list[Finding]:
    out = []
    problem = _sample_char_problem(sample)
    if problem:
        out.append(Finding(shown, line, "sample-chars", f"{label}: {sample!r} {problem}"))
    for ref in sample_slots(sample):
        if ref not in types:
            out.append(
                Finding(
                    shown,
                    line,
                    "slot-undefined",
                    f"{label}: {sample!r} uses {{{ref}}}, which {intent} does not define",
                )
            )
    return out


def lint_samples(model: Model) -> list[Finding]:
    """Characters, slot references, SearchQuery use and duplicates across intents."""
    shown = model.shown
    out: list[Finding] = []
    seen: dict[str, str] = {}
    for n, intent in model.intents():
        name = str(intent.get("name"))
        at: JsonPath = (*LM, "intents", n)
        slot_list = [s for s in intent.get("slots", []) or [] if isinstance(s, dict)]
        types = {str(s.get("name")): str(s.get("type")) for s in slot_list}
        used: set[str] = set()

        for k, sample in enumerate(str(s) for s in intent.get("samples", []) or []):
            line = model.line(*at, "samples", k)
            out += _check_sample(shown, line, name, sample, name, types)
            used.update(sample_slots(sample))
            queries = [r for r in sample_slots(sample) if types.get(r) == SEARCH_QUERY]
            if len(queries) > 1:
                out.append(
                    Finding(
                        shown,
                        line,
                        "searchquery-multiple",
                        f"{name}: {sample!r} has {len(queries)} AMAZON.SearchQuery slots "
                        "(at most one per utterance)",
                    )
                )
            if queries and not _SLOT_REF.sub("", sample).strip():
                out.append(
                    Finding(
                        shown,
                        line,
                        "searchquery-alone",
                        f"{name}: {sample!r} is an AMAZON.SearchQuery slot alone; "
                        "it needs a carrier phrase",
                    )
                )
            other = seen.setdefault(normalise_sample(sample), name)
            if other != name:
                out.append(
                    Finding(
                        shown,
                        line,
                        "duplicate-utterance",
                        f"{name}: {sample!r} is also a sample of {other}",
                    )
                )
        for m, slot in enumerate(slot_list):
            label = f"{name}.{slot.get('name')}"
            for k, sample in enumerate(str(s) for s in slot.get("samples", []) or []):
                line = model.line(*at, "slots", m, "samples", k)
                out += _check_sample(shown, line, label, sample, name, types)
                used.update(sample_slots(sample))
        for m, slot in enumerate(slot_list):
            if str(slot.get("name")) not in used:
                out.append(
                    Finding(
                        shown,
                        model.line(*at, "slots", m, "name"),
                        "slot-unused",
                        f"{name}: slot {slot.get('name')!r} is used in no sample utterance",
                    )
                )
    return out


def lint_slot_types(model: Model) -> list[Finding]:
    defined = {str(t.get("name")) for t in model.language.get("types", []) or []}
    out = []
    for n, intent in model.intents():
        for m, slot in enumerate(intent.get("slots", []) or []):
            slot_type = str(slot.get("type"))
            if not slot_type.startswith("AMAZON.") and slot_type not in defined:
                out.append(
                    Finding(
                        model.shown,
                        model.line(*LM, "intents", n, "slots", m, "type"),
                        "slot-type",
                        f"{intent.get('name')}.{slot.get('name')}: slot type {slot_type!r} "
                        "is not defined",
                    )
                )
    return out


def lint_intents(model: Model, handled: Iterable[str]) -> list[Finding]:
    """Built-ins present; every intent handled; every handled intent present."""
    shown = model.shown
    handled = set(handled)
    present = {str(i.get("name")) for _, i in model.intents()}
    intents_line = model.line(*LM, "intents")
    out = []
    builtins = [*REQUIRED_BUILTINS]
    builtins += sorted(h for h in handled if h.startswith("AMAZON.") and h not in builtins)
    for builtin in builtins:
        if builtin not in present:
            out.append(Finding(shown, intents_line, "builtin-missing", f"{builtin} is required"))
    for name in sorted(present - handled):
        out.append(
            Finding(
                shown,
                model.intent_line(name),
                "intent-unhandled",
                f"{name} has no handler (skill.core.handlers.HANDLED_INTENTS)",
            )
        )
    for name in sorted(handled - present - set(builtins)):
        out.append(
            Finding(
                shown,
                intents_line,
                "intent-missing",
                f"{name} is handled by the skill but missing from the model",
            )
        )
    return out


def lint_dialog(model: Model) -> list[Finding]:
    root = model.data["interactionModel"]
    dialog = root.get("dialog") or {}
    prompts = {str(p.get("id")) for p in root.get("prompts", []) or [] if isinstance(p, dict)}
    signature = model.signature()
    out = []
    for n, intent in enumerate(dialog.get("intents", []) or []):
        name = str(intent.get("name"))
        at: JsonPath = ("interactionModel", "dialog", "intents", n)
        if name not in signature:
            out.append(
                Finding(
                    model.shown,
                    model.line(*at, "name"),
                    "dialog",
                    f"dialog rules for {name}, which the model does not define",
                )
            )
            continue
        for m, slot in enumerate(intent.get("slots", []) or []):
            slot_name = str(slot.get("name"))
            if slot_name not in signature[name]:
                out.append(
                    Finding(
                        model.shown,
                        model.line(*at, "slots", m, "name"),
                        "dialog",
                        f"dialog rules for {name}.{slot_name}, which {name} does not define",
                    )
                )
            for kind, prompt_id in (slot.get("prompts") or {}).items():
                if str(prompt_id) not in prompts:
                    out.append(
                        Finding(
                            model.shown,
                            model.line(*at, "slots", m, "prompts", kind),
                            "dialog",
                            f"{name}.{slot_name}: prompt {prompt_id!r} is not defined",
                        )
                    )
    return out


def lint_generated(model: Model) -> list[Finding]:
    from skill import models as generated

    stale = generated.stale(model.path)
    if not stale:
        return []
    return [
        Finding(
            model.shown,
            1,
            "model-generated",
            f"{', '.join(stale)} differ from the crisis language pack: run together models --write",
        )
    ]


def lint_model(model: Model, handled: Iterable[str]) -> list[Finding]:
    return [
        *lint_invocation(model),
        *lint_samples(model),
        *lint_slot_types(model),
        *lint_intents(model, handled),
        *lint_dialog(model),
    ]


def lint_parity(models: Sequence[Model], content_locales: Sequence[str]) -> list[Finding]:
    """The same intents and slots in every model; a model for every content locale."""
    out: list[Finding] = []
    if not models:
        return [Finding(_show(MODELS_DIR), 1, "locale-model", "no interaction models")]
    by_locale = {m.locale: m for m in models}
    reference = by_locale.get(REFERENCE_LOCALE, models[0])
    ref_sig = reference.signature()
    for model in models:
        if model is reference:
            continue
        shown = model.shown
        sig = model.signature()
        for intent in sorted(set(ref_sig) - set(sig)):
            out.append(
                Finding(
                    shown,
                    model.line(*LM, "intents"),
                    "locale-parity",
                    f"{intent} is in {reference.locale} but not in {model.locale}",
                )
            )
        for intent in sorted(set(sig) - set(ref_sig)):
            out.append(
                Finding(
                    shown,
                    model.intent_line(intent),
                    "locale-parity",
                    f"{intent} is in {model.locale} but not in {reference.locale}",
                )
            )
        for intent in sorted(set(sig) & set(ref_sig)):
            if sig[intent] != ref_sig[intent]:
                out.append(
                    Finding(
                        shown,
                        model.intent_line(intent),
                        "locale-parity",
                        f"{intent} slots {sig[intent]} differ from {reference.locale}'s "
                        f"{ref_sig[intent]}",
                    )
                )
    for locale in content_locales:
        if locale not in by_locale:
            out.append(
                Finding(
                    _show(reference.path.parent / f"{locale}.json"),
                    1,
                    "locale-model",
                    f"content locale {locale} has no interaction model; "
                    f"the simulator falls back to {REFERENCE_LOCALE}'s",
                    WARNING,
                )
            )
    return out


# --------------------------------------------------------------------------- SSML


def _seconds(value: str) -> float | None:
    match = _TIME.match(value.strip())
    if not match:
        return None
    return float(match.group(1)) / (1000 if match.group(2) == "ms" else 1)


def check_ssml(ssml: str) -> list[tuple[str, str]]:
    """(rule, message) for each problem of a whole ``<speak>`` document."""
    out: list[tuple[str, str]] = []
    if len(ssml) > MAX_SSML_CHARS:
        out.append(("ssml-length", f"{len(ssml)} characters, over {MAX_SSML_CHARS}"))
    # Alexa's SSML uses the amazon: prefix without declaring it; declare it to parse.
    declared = ssml.replace(
        "<speak>", f'<speak xmlns:amazon="{_AMAZON_NS}" xmlns:alexa="{_ALEXA_NS}">', 1
    )
    try:
        root = ET.fromstring(declared)  # noqa: S314 - our own content, not untrusted input
    except ET.ParseError as exc:
        return [*out, ("ssml-xml", f"not well-formed XML: {exc}")]
    for element in root.iter():
        tag = element.tag.replace(f"{{{_AMAZON_NS}}}", "amazon:")
        tag = tag.replace(f"{{{_ALEXA_NS}}}", "alexa:")
        if tag not in ALEXA_SSML_TAGS:
            out.append(("ssml-tag", f"<{tag}> is not an SSML element Alexa supports"))
        if tag == "break" and "time" in element.attrib:
            seconds = _seconds(element.attrib["time"])
            if seconds is None:
                out.append(("ssml-break", f"break time {element.attrib['time']!r} is unreadable"))
            elif seconds > MAX_BREAK_S:
                out.append(("ssml-break", f"break of {seconds:g} s, over {MAX_BREAK_S:g} s"))
    return out


# --------------------------------------------------------------------------- content


@dataclass(frozen=True)
class Variant:
    locale: str
    key: str
    text: str
    path: Path
    line: int


def _toml(path: Path) -> tuple[dict[str, Any], str]:
    if not path.is_file():
        return {}, ""
    text = path.read_text(encoding="utf-8")
    return tomllib.loads(text), text


def _variant_line(text: str, table: str, key: str, variant: str) -> int:
    """The line of a variant: its first 30 characters, searched from its key's line."""
    where = Locator(text)
    header = re.search(rf"^\[{re.escape(table)}\]", text, re.M)
    start = header.end() if header else 0
    key_at = re.compile(rf"^\s*{re.escape(key)}\s*=", re.M).search(text, start)
    start = key_at.start() if key_at else start
    head = variant[:30]
    escaped = json.dumps(variant, ensure_ascii=False)[1:31]
    return where.line_at(where.find([head, escaped], start))


def content_variants(
    locale: str, content_dir: Path = CONTENT_DIR
) -> tuple[dict[str, list[Variant]], Variant | None, list[Finding]]:
    """The speech variants of a locale (language base, locale keys over it), each with
    the file and line it comes from; the locale's [helpline] speech; structural findings."""
    lang = locale.split("-")[0]
    speech: dict[str, list[Variant]] = {}
    helpline: Variant | None = None
    out: list[Finding] = []
    for folder in (lang, locale):
        path = content_dir / folder / "speech.toml"
        try:
            data, text = _toml(path)
        except tomllib.TOMLDecodeError as exc:
            line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(exc))) else 1
            out.append(Finding(_show(path), line, "content-key", f"not valid TOML: {exc}"))
            continue
        said = (data.get("helpline", {}) or {}).get("speech")
        if isinstance(said, str):
            line = _variant_line(text, "helpline", "speech", said)
            helpline = Variant(locale, "helpline", said, path, line)
        for key, value in (data.get("speech", {}) or {}).items():
            values = [value] if isinstance(value, str) else list(value or [])
            speech[key] = [
                Variant(locale, key, str(v), path, _variant_line(text, "speech", key, str(v)))
                for v in values
            ]
    for key in sorted(set(speech) - set(SPEECH_KEYS)):
        first = speech[key][0] if speech[key] else None
        out.append(
            Finding(
                _show(first.path) if first else _show(content_dir / lang / "speech.toml"),
                first.line if first else 1,
                "content-key",
                f"{locale}: unknown speech key {key!r}",
            )
        )
    for key in SPEECH_KEYS:
        if not speech.get(key):
            out.append(
                Finding(
                    _show(content_dir / lang / "speech.toml"),
                    1,
                    "content-key",
                    f"{locale}: speech key {key!r} has no variants",
                )
            )
    if helpline is None:
        out.append(
            Finding(
                _show(content_dir / lang / "speech.toml"),
                1,
                "content-key",
                f"{locale}: no [helpline] speech",
            )
        )
    return speech, helpline, out


def _one_key_content(key: str, text: str, locale: str) -> Content:
    """A Content holding a single variant, so Voice.say renders exactly it."""
    real = load(locale)
    return Content(
        locale=locale,
        speech={key: (text,)},
        words={},
        and_word=real.and_word,
        helpline_speech="",
        helpline_text="",
        reflections=(),
        gratitude_questions=(),
        breathing=Breathing("", 0, 0, 0, 0, {}),
        screen=real.screen,
        near_misses=(),
        default_zone="UTC",
        emergency_speech=real.emergency_speech,
    )


def render_variant(variant: Variant, spec: Key, helpline_speech: str) -> tuple[str, set[str]]:
    """The variant as ``<speak>`` SSML, slots filled the way the skill fills them, and
    the slots that carried hostile user text."""
    slots: dict[str, object] = {}
    for name in spec.allowed:
        if name == "helpline":
            slots[name] = Markup(helpline_speech)
        elif name == "emergency":
            slots[name] = Markup(load(variant.locale).emergency_speech)
        else:
            slots[name] = HOSTILE_VALUE
    voice = Voice(_one_key_content(variant.key, variant.text, variant.locale), random.Random(0))
    carried = set(slots) - {"helpline", "emergency"}
    return f"<speak>{voice.say(variant.key, **slots)}</speak>", carried


def lint_variant(variant: Variant, helpline_speech: str) -> list[Finding]:
    spec = SPEECH_KEYS.get(variant.key)
    shown = _show(variant.path)
    if spec is None:
        return []

    def finding(rule: str, message: str) -> Finding:
        return Finding(shown, variant.line, rule, f"{variant.locale} {variant.key}: {message}")

    try:
        used = {name for _, name, _, _ in string.Formatter().parse(variant.text) if name}
    except ValueError as exc:
        return [finding("content-slots", f"bad slot syntax: {exc}")]
    out = []
    if used - spec.allowed:
        out.append(finding("content-slots", f"unknown slot(s) {sorted(used - spec.allowed)}"))
    if spec.required - used:
        out.append(finding("content-slots", f"missing slot(s) {sorted(spec.required - used)}"))
    if out:
        return out
    try:
        ssml, hostile = render_variant(variant, spec, helpline_speech)
    except (KeyError, IndexError, AttributeError, ValueError) as exc:
        return [finding("content-slots", f"cannot be filled: {exc!r}")]
    out += [finding(rule, message) for rule, message in check_ssml(ssml)]
    if hostile & used and HOSTILE_VALUE in ssml:
        out.append(finding("ssml-escape", "a slot value reaches the SSML unescaped"))
    return out


def lint_content(locales: Sequence[str], content_dir: Path = CONTENT_DIR) -> list[Finding]:
    """Every variant of every key in every locale, rendered and checked."""
    out: list[Finding] = []
    for locale in locales:
        speech, helpline, problems = content_variants(locale, content_dir)
        out += problems
        helpline_speech = helpline.text if helpline else ""
        if helpline is not None:
            out += [
                Finding(_show(helpline.path), helpline.line, rule, f"{locale} helpline: {message}")
                for rule, message in check_ssml(f"<speak>{helpline.text}</speak>")
            ]
        for variants in speech.values():
            for variant in variants:
                out += lint_variant(variant, helpline_speech)
    return _unique(out)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    """The same finding from a base file shared by several locales, once (first locale)."""
    seen: set[tuple[str, int, str, str]] = set()
    out = []
    for f in findings:
        key = (f.path, f.line, f.rule, f.message.split(":", 1)[-1])
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# --------------------------------------------------------------------------- breathing


def _longest(content: Content) -> Content:
    """The content with only the longest variant of each key: the worst case."""
    return dataclasses.replace(
        content,
        speech={k: (max(v, key=len),) for k, v in content.speech.items()},
    )


def breathing_turns(content: Content, pattern_id: str, minutes: int) -> Iterator[str]:
    """Each turn's SSML for one whole exercise, composed as the breathe handler does
    (worst-case wording; every round after the first as if resumed from a pause)."""
    breathing = content.breathing
    voice = Voice(_longest(content), random.Random(0))
    pattern = breathing.patterns[pattern_id]
    amount = f"{minutes} {content.word('minute', minutes)}"
    lead = " ".join(
        [
            voice.say("breathe_intro", pattern=pattern.name, minutes=amount),
            Markup(pattern.how) + breaks(1.5),
        ]
    )
    plan = br.new_plan(breathing, pattern_id, minutes)
    while plan.done < plan.total:
        body, plan = br.round_ssml(voice, breathing, plan)
        if plan.done >= plan.total:
            tail = voice.say("breathe_done")
        else:
            left = br.minutes_left(breathing, plan)
            tail = voice.say(
                "breathe_continue", minutes_left=f"{left} {content.word('minute', left)}"
            )
        yield f"<speak>{lead} {body} {tail}</speak>"
        lead = voice.say("breathe_resumed")


def lint_offers(locale: str, models_dir: Path, content_dir: Path = CONTENT_DIR) -> list[Finding]:
    """Every offered option, said back, reaches what it offers (through the simulator)."""
    from skill.models import answered_as
    from skill.sim.nlu import Nlu

    path = content_dir / locale.split("-")[0] / "offers.toml"
    if not path.is_file():
        return []
    offers = tomllib.loads(path.read_text(encoding="utf-8")).get("offers", {})
    content = load(locale)
    spoken = " ".join(v.lower() for vs in content.speech.values() for v in vs)
    nlu = Nlu.for_locale(locale, models_dir)
    out: list[Finding] = []
    for phrase, wanted in offers.items():
        line = _line_of(path, f'"{phrase}"')
        if phrase.lower() not in spoken:
            out.append(
                Finding(_show(path), line, "offered-words", f"{phrase!r} is offered nowhere")
            )
        parse = nlu.resolve(phrase)
        answer = answered_as(
            parse.intent, (f.value for f in parse.slots.values()), content.screen, content
        )
        got = "crisis" if answer == "CrisisIntent" else answer
        if got != wanted:
            out.append(
                Finding(
                    _show(path),
                    line,
                    "offered-words",
                    f"{locale}: {phrase!r} is understood as {parse.intent}, not {wanted}",
                )
            )
    return out


def _line_of(path: Path, needle: str) -> int:
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in text:
            return number
    return 1


def lint_breathing(
    content: Content, path: Path, minutes: Iterable[int] = range(1, 11)
) -> list[Finding]:
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    where = Locator(text)
    out = []
    for pattern_id in content.breathing.patterns:
        line = where.line_at(where.find([f"[patterns.{pattern_id}]"]))
        for m in minutes:
            for n, ssml in enumerate(breathing_turns(content, pattern_id, m), start=1):
                for rule, message in check_ssml(ssml):
                    out.append(
                        Finding(
                            _show(path),
                            line,
                            "breathing-round",
                            f"{content.locale} {pattern_id}, {m} min, round {n}: "
                            f"[{rule}] {message}",
                        )
                    )
    return _unique(out)


# --------------------------------------------------------------------------- all


def _content_locales(content_dir: Path) -> tuple[str, ...]:
    data, _ = _toml(content_dir / "locales.toml")
    return tuple(data.get("supported", {}).get("locales", ()))


def lint(
    models_dir: Path = MODELS_DIR,
    content_dir: Path = CONTENT_DIR,
    handled: Iterable[str] | None = None,
) -> list[Finding]:
    """Every rule over the models and the content; errors first, then warnings."""
    if handled is None:
        from skill.core.handlers import HANDLED_INTENTS

        handled = HANDLED_INTENTS
    handled = frozenset(handled)
    locales = _content_locales(content_dir)
    models, out = read_models(models_dir)
    for model in models:
        out += lint_model(model, handled)
        out += lint_generated(model)
    out += lint_parity(models, locales)
    out += lint_content(locales, content_dir)
    if content_dir == CONTENT_DIR:
        for locale in locales:
            try:
                content = load(locale)
            except ContentError as exc:
                out.append(Finding(_show(content_dir), 1, "content-key", str(exc)))
                continue
            lang_file = content_dir / locale / "breathing.toml"
            if not lang_file.is_file():
                lang_file = content_dir / locale.split("-")[0] / "breathing.toml"
            out += lint_breathing(content, lang_file)
            if (models_dir / f"{locale}.json").is_file():
                out += lint_offers(locale, models_dir, content_dir)
    return sorted(_unique(out), key=lambda f: (f.severity != ERROR, f.path, f.line, f.rule))


def main(
    json_output: bool = False, models_dir: Path | None = None, content_dir: Path | None = None
) -> int:
    findings = lint(models_dir or MODELS_DIR, content_dir or CONTENT_DIR)
    bad = errors(findings)
    if json_output:
        print(json.dumps({"findings": [f.to_json() for f in findings], "errors": len(bad)}))
    else:
        for f in findings:
            print(f)
        warnings = len(findings) - len(bad)
        print(f"together lint: {len(bad)} error(s), {warnings} warning(s)")
    return 1 if bad else 0
