"""``together package --out DIR``: the skill as an ASK CLI skill-package.

Writes ``DIR/skill-package/skill.json`` and
``DIR/skill-package/interactionModels/custom/<locale>.json`` for every
``interaction_models/<locale>.json`` present (copied byte for byte).

Where things come from:

* ``skill/skill_manifest.json``: everything that is not words (category, countries,
  privacy and compliance, events, permissions, placeholder URLs);
* ``skill/content/<lang>/manifest.toml`` with ``skill/content/<locale>/manifest.toml``
  over it: summary, description, example phrases, keywords;
* the locale's content (``skill.content.load``): the helpline, which goes into the
  not-medical-advice line every description ends with.

Decisions (see the report in the module's tests, ``tests/test_package.py``):

* ``usesPersonalInfo`` is true. Amazon asks whether the skill collects personal
  information "through voice or skill permissions" and requires a privacy policy if it
  does. The skill stores, for a limited time, the gratitudes and wins the household says,
  free text that can name people or describe health, keyed by a hash of the account id.
* ``permissions`` names one scope, ``alexa::alerts:reminders:skill:readwrite``: the
  daily reminder a household asks for (asked by voice, at the moment it is wanted). The
  settings API for the device's time zone (``System.timeZone``) needs no scope.
* The privacy-policy and terms URLs and the endpoint are placeholders; ``placeholders``
  in the data file lists them, and :func:`placeholders_left` names those still present.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from skill.content import CONTENT_DIR, load
from skill.errors import TogetherError
from skill.lint import MODELS_DIR

MANIFEST_DATA = Path(__file__).resolve().parent / "skill_manifest.json"

# Amazon's limits for the store listing.
MAX_SUMMARY = 160
MAX_DESCRIPTION = 4000
MAX_EXAMPLE_PHRASES = 3
MAX_KEYWORDS = 30


class PackageError(TogetherError, ValueError):
    """The listing would not pass: a missing word, a phrase the model does not resolve."""


@dataclass(frozen=True)
class Listing:
    summary: str
    description: str
    example_phrases: tuple[str, ...]
    keywords: tuple[str, ...]


def _toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def listing_words(locale: str, content_dir: Path = CONTENT_DIR) -> dict[str, Any]:
    """The locale's manifest.toml over its language's: the store-listing words."""
    data: dict[str, Any] = {}
    for folder in (locale.split("-")[0], locale):
        data.update(_toml(content_dir / folder / "manifest.toml"))
    return data


def _word(data: dict[str, Any], key: str, locale: str) -> str:
    try:
        return str(data[key]).strip()
    except KeyError as exc:
        raise PackageError(f"{locale}: manifest.toml needs {key}") from exc


def crisis_line(locale: str, content_dir: Path = CONTENT_DIR) -> str:
    """The crisis lead-in and the locale's helpline text, ending with the emergency
    number: the helpline text already says it in every locale we have; it is added when
    it does not."""
    data = listing_words(locale, content_dir)
    emergency = _word(data, "emergency", locale)
    text = load(locale).helpline_text.strip()
    text = text[:1].lower() + text[1:]
    if emergency not in text:
        text = f"{text.rstrip('.')}, {emergency}."
    return f"{_word(data, 'crisis_lead', locale)} {text}"


def medical_line(locale: str, content_dir: Path = CONTENT_DIR) -> str:
    not_medical = _word(listing_words(locale, content_dir), "not_medical_advice", locale)
    return f"{not_medical} {crisis_line(locale, content_dir)}"


def listing(locale: str, content_dir: Path = CONTENT_DIR) -> Listing:
    data = listing_words(locale, content_dir)
    try:
        summary = str(data["summary"]).strip()
        body = str(data["description"]).strip()
        phrases = tuple(str(p) for p in data["examplePhrases"])
        keywords = tuple(str(k) for k in data["keywords"])
    except KeyError as exc:
        raise PackageError(f"{locale}: manifest.toml needs {exc.args[0]}") from exc
    description = f"{body}\n\n{medical_line(locale, content_dir)}"
    if len(summary) > MAX_SUMMARY:
        raise PackageError(f"{locale}: summary over {MAX_SUMMARY} characters")
    if len(description) > MAX_DESCRIPTION:
        raise PackageError(f"{locale}: description over {MAX_DESCRIPTION} characters")
    if not 1 <= len(phrases) <= MAX_EXAMPLE_PHRASES:
        raise PackageError(f"{locale}: 1 to {MAX_EXAMPLE_PHRASES} example phrases")
    if len(keywords) > MAX_KEYWORDS:
        raise PackageError(f"{locale}: at most {MAX_KEYWORDS} keywords")
    return Listing(summary, description, phrases, keywords)


def check_phrase(phrase: str, locale: str, models_dir: Path = MODELS_DIR) -> str:
    """The intent an example phrase reaches in the locale's model ("LaunchRequest" for an
    open), or PackageError when Alexa would not take it there."""
    from skill.sim.nlu import FALLBACK_INTENT, Nlu, normalize, split_invocation

    if not phrase.startswith("Alexa, "):
        raise PackageError(f"{locale}: example phrase {phrase!r} must start with 'Alexa, '")
    nlu = Nlu.for_locale(locale, models_dir)
    kind, rest = split_invocation(phrase, nlu.invocation_name)
    if kind == "launch":
        return "LaunchRequest"
    if kind != "oneshot" or rest is None:
        raise PackageError(
            f"{locale}: example phrase {phrase!r} does not invoke {nlu.invocation_name!r}"
        )
    parse = nlu.resolve(rest)
    if parse.intent == FALLBACK_INTENT:
        raise PackageError(f"{locale}: example phrase {phrase!r} resolves to nothing")
    # Amazon also wants the words after the invocation to be one of the intent's samples.
    samples = {normalize(s) for s in nlu.samples().get(parse.intent, [])}
    if normalize(rest) not in samples:
        raise PackageError(
            f"{locale}: example phrase {phrase!r}: {rest!r} is not a sample of {parse.intent}"
        )
    return parse.intent


def model_locales(models_dir: Path = MODELS_DIR) -> list[str]:
    return sorted(p.stem for p in models_dir.glob("*.json"))


def certificate_type(uri: str, default: str) -> str:
    """Alexa's sslCertificateType for an endpoint.

    The HTTP API that infra/template.yaml creates answers on
    ``*.execute-api.<region>.amazonaws.com`` with Amazon's wildcard certificate, which
    Alexa calls "Wildcard"; an endpoint on your own domain with its own certificate from
    a trusted CA is "Trusted".
    """
    host = (urlparse(uri).hostname or "").lower()
    return "Wildcard" if host.endswith(".amazonaws.com") else default


def manifest(
    endpoint: str | None = None,
    models_dir: Path = MODELS_DIR,
    content_dir: Path = CONTENT_DIR,
    data_path: Path = MANIFEST_DATA,
) -> dict[str, Any]:
    """skill.json as a dict, for every locale that has an interaction model."""
    data = json.loads(data_path.read_text(encoding="utf-8"))
    uri = endpoint or str(data["defaultEndpoint"])
    endpoint_obj = {
        "uri": uri,
        "sslCertificateType": certificate_type(uri, str(data["sslCertificateType"])),
    }
    locales = model_locales(models_dir)
    if not locales:
        raise PackageError(f"no interaction models in {models_dir}")
    published: dict[str, Any] = {}
    for locale in locales:
        info = listing(locale, content_dir)
        for phrase in info.example_phrases:
            check_phrase(phrase, locale, models_dir)
        published[locale] = {
            "name": data["name"],
            "summary": info.summary,
            "description": info.description,
            "examplePhrases": list(info.example_phrases),
            "keywords": list(info.keywords),
        }
    pac = data["privacyAndCompliance"]
    result: dict[str, Any] = {
        "manifest": {
            "manifestVersion": "1.0",
            "publishingInformation": {
                "locales": published,
                "category": data["category"],
                "isAvailableWorldwide": data["isAvailableWorldwide"],
                "distributionCountries": list(data["distributionCountries"]),
                "testingInstructions": (
                    "Say 'Alexa, open resilient together', then try breathing, a "
                    "gratitude, a win, or today's reflection. 'How are we doing' reads "
                    "progress; 'delete our data' erases the household's data."
                ),
            },
            "privacyAndCompliance": {
                "allowsPurchases": pac["allowsPurchases"],
                "usesPersonalInfo": pac["usesPersonalInfo"],
                "isChildDirected": pac["isChildDirected"],
                "isExportCompliant": pac["isExportCompliant"],
                "containsAds": pac["containsAds"],
                "locales": {
                    locale: {
                        "privacyPolicyUrl": pac["privacyPolicyUrl"],
                        "termsOfUseUrl": pac["termsOfUseUrl"],
                    }
                    for locale in locales
                },
            },
            "apis": {"custom": {"endpoint": dict(endpoint_obj)}},
            "events": {
                "endpoint": dict(endpoint_obj),
                "subscriptions": [{"eventName": name} for name in data["events"]],
            },
        }
    }
    if data["permissions"]:
        result["manifest"]["permissions"] = [{"name": p} for p in data["permissions"]]
    return result


def placeholders_left(skill_json: dict[str, Any], data_path: Path = MANIFEST_DATA) -> list[str]:
    """The placeholder values still in a skill.json: fill them before certification."""
    data = json.loads(data_path.read_text(encoding="utf-8"))
    text = json.dumps(skill_json)
    return [p for p in data["placeholders"] if p in text]


def package(
    out: Path,
    endpoint: str | None = None,
    models_dir: Path = MODELS_DIR,
    content_dir: Path = CONTENT_DIR,
) -> Path:
    """Write the skill-package under out; return the skill-package directory."""
    skill_json = manifest(endpoint, models_dir, content_dir)
    root = out / "skill-package"
    custom = root / "interactionModels" / "custom"
    custom.mkdir(parents=True, exist_ok=True)
    (root / "skill.json").write_text(
        json.dumps(skill_json, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    for locale in model_locales(models_dir):
        shutil.copyfile(models_dir / f"{locale}.json", custom / f"{locale}.json")
    return root
