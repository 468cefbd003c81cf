"""The safety screen: its grammar, its matching rules, and its language pack as a whole."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.content import CONTENT_DIR, load, supported_locales
from skill.core import screen as sc

EN = load("en-US").screen


def _pack(**extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "words": {
            "replace": {"can't": "can not", "gonna": "going to"},
            "suffixes": {"'s": " s"},
            "fillers": ["um", "really"],
            "contrasts": ["but"],
            "negators": ["not", "never"],
            "governed": ["i", "am", "going", "to", "would"],
            "not_names": ["it", "the"],
            "past": ["used to"],
        },
        "concepts": {"self": "(myself|ourselves)", "hurt": "(hurt|hurting)"},
        "crisis": [
            {"id": "t", "seq": ["@hurt @self", "%name s not safe", "i have a plan $"]},
            {"id": "u", "all": [["(pills|tablets)", "(all|whole)"]]},
        ],
        "support": [{"id": "d", "seq": ["not coping"]}],
        "ordinary": [{"phrase": "@hurt @self at the gym", "example": "x", "why": "y"}],
    }
    data.update(extra)
    return data


def test_the_grammar_matches_in_order_with_alternatives_and_concepts() -> None:
    screen = sc.build(_pack())
    assert screen.check("I keep hurting myself").crisis
    assert screen.check("um i really hurt ourselves").crisis  # fillers dropped
    assert not screen.check("myself hurt").crisis  # a seq keeps its order
    assert screen.check("kai's not safe").crisis  # suffix split, %name
    assert not screen.check("it's not safe").crisis  # "it" is never a name
    assert (
        screen.check("i have a plan").crisis and not screen.check("i have a plan for lunch").crisis
    )


def test_all_rules_hold_in_any_order_and_across_sentences() -> None:
    screen = sc.build(_pack())
    assert screen.check("all of them, the pills").crisis
    assert screen.check("the tablets. the whole lot").crisis
    assert not screen.check("the tablets are here").crisis


def test_ordinary_phrases_negation_past_and_contrast() -> None:
    screen = sc.build(_pack())
    assert not screen.check("i hurt myself at the gym").crisis  # ends inside a near-miss
    negated = screen.check("i am never going to hurt myself")
    assert negated.support and negated.negated
    # a contrast after a negation takes it back
    assert screen.check("i would never hurt myself but i keep wanting to hurt myself").crisis
    assert screen.check("i am not going to hurt myself but i think about it").crisis
    past = screen.check("i used to hurt myself but i'm okay now")
    assert past.support and past.family == sc.PAST  # care, no contrast upgrade
    assert screen.check("i am not coping").support
    assert screen.check("").level == sc.NONE


def _signals(**extra: object) -> dict[str, object]:
    net: dict[str, object] = {
        "crisis_at": 4,
        "support_at": 3,
        "kind": [
            {"id": "means", "family": "m", "weight": 2, "phrases": ["(the bridge|rope)"]},
            {"id": "when", "family": "p", "weight": 1, "phrases": ["tonight"]},
            {"id": "urge", "family": "a", "weight": 3, "phrases": ["keeps calling me"]},
            {"id": "body", "family": "e", "weight": 2, "urgent": True, "phrases": ["floppy"]},
            {"id": "story", "family": "none", "weight": -3, "phrases": ["(film|book)"]},
        ],
    }
    net.update(extra)
    return _pack(signals=net)


def test_signals_add_up_once_per_kind_across_sentences() -> None:
    screen = sc.build(_signals())
    assert screen.check("the bridge").level == sc.NONE  # 2: below both lines
    assert screen.check("the bridge. tonight").level == sc.SUPPORT  # 3: care
    assert screen.check("the bridge, the rope, the bridge").level == sc.NONE  # a kind once
    found = screen.check("the bridge keeps calling me")  # 5
    assert found.crisis and found.family == "a" and not found.urgent  # the heaviest kind
    assert screen.check("the rope and he has gone floppy").urgent  # an urgent kind counted
    assert screen.check("in the film the bridge keeps calling me").level == sc.NONE  # 5 - 3
    assert screen.check("i am not going to the bridge tonight").level == sc.NONE  # negated: 1
    assert screen.check("i hurt myself at the gym tonight").level == sc.NONE  # ordinary: 1
    # a family verdict is never weakened by the net, and a decided negation stands
    assert screen.check("i keep hurting myself in the film").crisis
    negated = screen.check("i am never going to hurt myself, the bridge keeps calling me")
    assert negated.support and negated.negated


def test_a_broken_pack_is_refused() -> None:
    with pytest.raises(sc.TemplateError, match="support_at"):
        sc.build(_signals(support_at=5))
    with pytest.raises(sc.TemplateError, match="unknown concept"):
        sc.build(_pack(crisis=[{"id": "x", "seq": ["@nowhere"]}]))
    with pytest.raises(sc.TemplateError, match="unbalanced"):
        sc.build(_pack(crisis=[{"id": "x", "seq": ["(a|b"]}]))
    with pytest.raises(sc.TemplateError, match="no crisis rules"):
        sc.build(_pack(crisis=[]))
    with pytest.raises(sc.TemplateError, match="itself"):
        sc.build(_pack(concepts={"a": "@a"}))


def test_samples_must_screen_at_their_own_level() -> None:
    data = _pack(crisis=[{"id": "t", "seq": ["@hurt @self"], "samples": ["i am hurting a tree"]}])
    with pytest.raises(sc.TemplateError, match="screens as none"):
        sc.samples(data, sc.build(data))


def test_expand_spreads_over_every_choice() -> None:
    tree = sc.parse("(a|b|c) (x|y) z")
    got = {" ".join(s) for s in sc.expand(tree, (), 100)}
    assert got == {f"{p} {q} z" for p in "abc" for q in "xy"}
    few = sc.expand(tree, (), 3)
    assert len(few) == 3 and {s[0] for s in few} == {"a", "b", "c"}


# --- the English pack --------------------------------------------------------------------
FAMILIES = {
    "passive_wish",
    "active_thoughts",
    "method_means",
    "plan_intent",
    "self_harm",
    "third_person",
    "past_attempt",
    "hopeless_burden",
    "not_safe",
    "asking_for_help",
    "emergency_now",
}


def test_every_family_the_issue_names_is_in_the_pack_with_its_sources() -> None:
    text = (CONTENT_DIR / "en" / "crisis.toml").read_text(encoding="utf-8")
    pack = load("en-US").crisis_pack
    assert {f["id"] for f in pack["crisis"]} == FAMILIES
    for family in pack["crisis"]:
        block = text[text.index(f'id = "{family["id"]}"') :].splitlines()[1:4]
        assert any(line.startswith("#") for line in block), f"{family['id']}: no sources"
        assert family.get("samples"), family["id"]


@pytest.mark.parametrize(
    ("said", "level"),
    [
        ("I'm not suicidal, just exhausted", sc.SUPPORT),
        ("i killed it at my interview", sc.NONE),
        ("celebrate that i cut my hair myself", sc.NONE),
        ("pills for my migraines are finally working", sc.NONE),
        ("we survived surgery week", sc.NONE),
        ("it's dead quiet in here", sc.NONE),
        ("we shot some photos", sc.NONE),
        ("i could kill for a coffee", sc.NONE),
        ("i'm dying to see the film", sc.NONE),
        ("i keep thinking about hurting myself", sc.CRISIS),
        ("i think my husband might kill himself", sc.CRISIS),
        ("she talked about suicide last night", sc.CRISIS),
        ("i'm thinking of taking all my pills", sc.CRISIS),
        ("i can't go on living like this", sc.CRISIS),
        ("honestly i just feel like giving up", sc.CRISIS),
        ("kai's not safe tonight", sc.CRISIS),
        ("i'm having dark thoughts", sc.CRISIS),
        ("i don't want to wake up tomorrow", sc.CRISIS),
        ("everything is too much", sc.SUPPORT),
        ("he won't talk to me", sc.SUPPORT),
    ],
)
def test_the_issues_examples(said: str, level: str) -> None:
    assert EN.check(said).level == level, said


@pytest.mark.parametrize("locale", supported_locales())
def test_near_miss_examples_are_never_crises(locale: str) -> None:
    content = load(locale)
    assert len(content.near_misses) >= 25
    for example in content.near_misses:
        assert not content.screen.check(example.text).crisis, example.text


def _ordinary_sentences() -> list[str]:
    content = load("en-US")
    texts = [p.text for p in content.reflections] + [q.text for q in content.gratitude_questions]
    return [re.sub(r"<[^>]+>", "", t) for t in texts]


def test_no_reflection_or_gratitude_question_is_a_crisis() -> None:
    for text in _ordinary_sentences():
        assert not EN.check(text).crisis, text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_ordinary_sentences()), min_size=1, max_size=3))
def test_ordinary_content_run_together_is_never_a_crisis(parts: list[str]) -> None:
    """Sentences of the deck, said one after another or as one breath."""
    assert not EN.check(" ".join(parts)).crisis
    assert not EN.check(" ".join(p.rstrip("?.!") for p in parts)).crisis


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gets_a_verdict_never_an_error(text: str) -> None:
    assert EN.check(text).level in (sc.CRISIS, sc.SUPPORT, sc.NONE)
