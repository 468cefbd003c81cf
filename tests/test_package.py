"""``together package``: an ASK CLI skill-package with a listing Amazon will accept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from skill import package as P
from skill.cli import main
from skill.content import CONTENT_DIR, load
from skill.lint import MODELS_DIR
from skill.sim.nlu import FALLBACK_INTENT, Nlu, split_invocation

EVENTS = {
    "SKILL_ENABLED",
    "SKILL_DISABLED",
    "SKILL_PERMISSION_ACCEPTED",
    "SKILL_PERMISSION_CHANGED",
}


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    root = P.package(out, endpoint="https://skill.example.com/alexa")
    assert root == out / "skill-package"
    return root


@pytest.fixture(scope="module")
def manifest(built: Path) -> dict[str, Any]:
    data: dict[str, Any] = read_json(built / "skill.json")["manifest"]
    return data


def test_layout_is_what_the_ask_cli_expects(built: Path) -> None:
    assert (built / "skill.json").is_file()
    custom = built / "interactionModels" / "custom"
    assert sorted(p.name for p in custom.iterdir()) == sorted(
        p.name for p in MODELS_DIR.glob("*.json")
    )


def test_interaction_models_are_copied_byte_for_byte(built: Path) -> None:
    for model in MODELS_DIR.glob("*.json"):
        copied = built / "interactionModels" / "custom" / model.name
        assert copied.read_bytes() == model.read_bytes()
        assert read_json(copied) == read_json(model)


def test_manifest_basics(manifest: dict[str, Any]) -> None:
    assert manifest["manifestVersion"] == "1.0"
    pub = manifest["publishingInformation"]
    assert pub["category"] == "HEALTH_AND_FITNESS"
    assert pub["isAvailableWorldwide"] is False
    assert pub["distributionCountries"] == ["US", "GB", "CA", "AU", "IN"]


def test_every_locale_with_a_model_is_listed(manifest: dict[str, Any]) -> None:
    locales = manifest["publishingInformation"]["locales"]
    assert set(locales) == {p.stem for p in MODELS_DIR.glob("*.json")}
    for locale, info in locales.items():
        assert info["name"] == "Resilient Together"
        assert 0 < len(info["summary"]) <= 160
        assert 0 < len(info["description"]) <= 4000
        assert 1 <= len(info["keywords"]) <= 30
        assert set(manifest["privacyAndCompliance"]["locales"]) == set(locales), locale


def test_every_description_has_the_not_medical_advice_line_and_its_helpline(
    manifest: dict[str, Any],
) -> None:
    for locale, info in manifest["publishingInformation"]["locales"].items():
        description = info["description"]
        assert (
            "Resilient Together is not medical advice and is not a substitute for "
            "professional care. If you are in crisis, "
        ) in description
        helpline = load(locale).helpline_text
        assert helpline[1:] in description
        assert "or your local emergency number." in description


@pytest.mark.parametrize("locale", ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"])
def test_the_medical_line_for_every_content_locale(locale: str) -> None:
    line = P.medical_line(locale)
    not_medical = P.listing_words(locale)["not_medical_advice"]
    assert not_medical.startswith("Resilient Together is not medical advice")
    assert line.startswith(not_medical + " If you are in crisis, ")
    assert line.endswith("or your local emergency number.")
    assert line.count("or your local emergency number") == 1
    assert load(locale).helpline_text[1:] in line


def test_a_helpline_without_the_emergency_number_gets_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Fake:
        helpline_text = "Call Lifeline on 13 11 14."

    monkeypatch.setattr(P, "load", lambda locale: Fake())
    assert P.crisis_line("en-AU") == (
        "If you are in crisis, call Lifeline on 13 11 14, or your local emergency number."
    )


def test_example_phrases_resolve_in_their_models(manifest: dict[str, Any]) -> None:
    for locale, info in manifest["publishingInformation"]["locales"].items():
        phrases = info["examplePhrases"]
        assert len(phrases) == 3
        assert phrases[0] == "Alexa, open resilient together"
        nlu = Nlu.for_locale(locale)
        assert split_invocation(phrases[0], nlu.invocation_name) == ("launch", None)
        for phrase in phrases[1:]:
            assert phrase.startswith("Alexa, ask resilient together to ")
            kind, rest = split_invocation(phrase, nlu.invocation_name)
            assert kind == "oneshot"
            assert rest is not None
            assert nlu.resolve(rest).intent not in (FALLBACK_INTENT, "CrisisIntent")


def test_a_phrase_the_model_does_not_know_is_refused() -> None:
    with pytest.raises(P.PackageError, match=r"resolves to nothing|not a sample"):
        P.check_phrase("Alexa, ask resilient together to order a pizza", "en-US")
    with pytest.raises(P.PackageError, match="does not invoke"):
        P.check_phrase("Alexa, open calm together", "en-US")
    with pytest.raises(P.PackageError, match="start with"):
        P.check_phrase("open resilient together", "en-US")


def test_a_locale_whose_phrases_do_not_resolve_fails_the_package(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "en-US").mkdir(parents=True)
    shutil.copy(CONTENT_DIR / "en" / "manifest.toml", content / "en-US" / "manifest.toml")
    text = (content / "en-US" / "manifest.toml").read_text()
    (content / "en-US" / "manifest.toml").write_text(
        text.replace("to celebrate a win", "to sing us a song")
    )
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(MODELS_DIR / "en-US.json", models / "en-US.json")
    with pytest.raises(P.PackageError, match="sing us a song"):
        P.manifest(models_dir=models, content_dir=content)


def test_privacy_and_compliance(manifest: dict[str, Any]) -> None:
    pac = manifest["privacyAndCompliance"]
    assert pac["allowsPurchases"] is False
    # gratitudes and wins are free text said by the household, stored for a while
    assert pac["usesPersonalInfo"] is True
    assert pac["isChildDirected"] is False
    assert pac["isExportCompliant"] is True
    assert pac["containsAds"] is False
    for urls in pac["locales"].values():
        assert urls["privacyPolicyUrl"] == "https://example.org/privacy"
        assert urls["termsOfUseUrl"].startswith("https://example.org/")


def test_placeholders_are_named(manifest: dict[str, Any]) -> None:
    left = P.placeholders_left({"manifest": manifest})
    assert "https://example.org/privacy" in left
    # the endpoint was given, so it is no placeholder
    assert not any("PLACEHOLDER" in p for p in left)
    assert any("PLACEHOLDER" in p for p in P.placeholders_left(P.manifest()))


def test_endpoint_and_events(manifest: dict[str, Any]) -> None:
    endpoint = {"uri": "https://skill.example.com/alexa", "sslCertificateType": "Trusted"}
    assert manifest["apis"] == {"custom": {"endpoint": endpoint}}
    assert manifest["events"]["endpoint"] == endpoint
    names = [s["eventName"] for s in manifest["events"]["subscriptions"]]
    assert set(names) == EVENTS
    assert len(names) == len(EVENTS)


def test_only_the_reminders_permission_is_asked_for(manifest: dict[str, Any]) -> None:
    """The one scope: the daily reminder, asked for by voice when a household wants it."""
    assert manifest["permissions"] == [{"name": "alexa::alerts:reminders:skill:readwrite"}]


def test_every_model_present_is_packaged(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    for locale in ("en-US", "en-GB", "en-IN"):
        shutil.copy(MODELS_DIR / "en-US.json", models / f"{locale}.json")
    root = P.package(tmp_path / "out", models_dir=models)
    skill_json = read_json(root / "skill.json")["manifest"]
    locales = skill_json["publishingInformation"]["locales"]
    assert set(locales) == {"en-US", "en-GB", "en-IN"}
    assert "Samaritans" in locales["en-GB"]["description"]
    assert "Tele-MANAS" in locales["en-IN"]["description"]
    assert "988" in locales["en-US"]["description"]
    assert sorted(p.name for p in (root / "interactionModels" / "custom").iterdir()) == [
        "en-GB.json",
        "en-IN.json",
        "en-US.json",
    ]


def test_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["package", "--out", str(tmp_path), "--endpoint", "https://x.example/a"]) == 0
    captured = capsys.readouterr()
    assert f"wrote {tmp_path / 'skill-package'}" in captured.out
    assert "https://example.org/privacy" in captured.err
    data = read_json(tmp_path / "skill-package" / "skill.json")
    assert data["manifest"]["apis"]["custom"]["endpoint"]["uri"] == "https://x.example/a"


def test_the_cli_needs_out() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["package"])
    assert exc.value.code == 2


def test_certificate_type_follows_the_endpoint() -> None:
    from skill.package import manifest

    api = "https://abc123.execute-api.us-east-1.amazonaws.com/alexa"
    own = "https://together.example.net/alexa"
    for uri, kind in ((api, "Wildcard"), (own, "Trusted")):
        endpoint = manifest(uri)["manifest"]["apis"]["custom"]["endpoint"]
        assert endpoint == {"uri": uri, "sslCertificateType": kind}
