"""What an Echo Show sees: APL documents for breathing and today's reflection. No I/O:
the documents are content (``skill/content/apl/*.json``, read by ``skill.content``).

Only a device whose request says it supports ``Alexa.Presentation.APL`` gets a document
(a voice-only Echo gets none). Breathing sends ``RenderDocument`` (a soft circle and the
phase word, on a calm dark palette) and ``ExecuteCommands`` that animate it round by
round: for every phase of the pattern, in order and for exactly the phase's own
seconds (the same data the voice's pauses come from, so the screen and the voice
agree), the phase word is set to the cue being spoken and the circle is animated with
``AnimateItem`` on ``transform`` (scale) and ``opacity``: it grows as you breathe in,
rests on a hold, and shrinks as you breathe out; it starts when the first cue is
spoken (after the words before it, as long as they take to say). The reflection prompt
is shown as text. Documents declare APL 1.3, which every APL device since 2019 runs; a device that
reports an older runtime gets none.
"""

from __future__ import annotations

from typing import Any

from ask_sdk_model import RequestEnvelope
from ask_sdk_model.interfaces.alexa.presentation.apl import (
    ExecuteCommandsDirective,
    RenderDocumentDirective,
)

from skill.content import Pattern
from skill.content import apl_document as document
from skill.content import apl_documents as documents

__all__ = ["breathing_directives", "document", "documents", "reflection_directive", "supports_apl"]

DOCUMENT_VERSION = (1, 3)
# A document's token names it (the skill's user events would carry it back); not secrets.
BREATHING_TOKEN = "breathing"  # noqa: S105
REFLECTION_TOKEN = "reflection"  # noqa: S105

# The circle at each kind of phase: (scale, opacity) it ends at. A hold keeps what the
# phase before left; a breath in grows it, a top-up grows it a little more, a breath
# out brings it back.
REST = (0.6, 0.6)
PHASE_SHAPES: dict[str, tuple[float, float] | None] = {
    "in": (1.0, 1.0),
    "in_top_up": (1.12, 1.0),
    "hold": None,
    "hold_empty": None,
    "out": REST,
    "out_long": REST,
}


def supports_apl(envelope: RequestEnvelope) -> bool:
    """The device says it runs APL, at a version that can show these documents."""
    system = envelope.context.system if envelope.context else None
    device = system.device if system else None
    interfaces = device.supported_interfaces if device else None
    apl = getattr(interfaces, "alexa_presentation_apl", None) if interfaces else None
    if apl is None:
        return False
    runtime = getattr(apl, "runtime", None)
    version = getattr(runtime, "max_version", None)
    if not isinstance(version, str):
        return True  # the interface without a runtime version: assume a current device
    try:
        parts = tuple(int(p) for p in version.split(".")[:2])
    except ValueError:
        return True
    return parts >= DOCUMENT_VERSION


def breathing_commands(
    pattern: Pattern, cues: dict[str, str], cycles: int, delay_ms: int = 0
) -> list[dict[str, Any]]:
    """The animation of ``cycles`` rounds of ``pattern``, starting after ``delay_ms``
    (the words spoken before the first cue): each phase sets the phase word to its cue
    and animates the circle for the phase's own seconds."""
    steps: list[dict[str, Any]] = []
    shape = REST
    for phase, seconds in pattern.phases:
        target = PHASE_SHAPES.get(phase) or shape
        steps.append(
            {
                "type": "Parallel",
                "commands": [
                    {
                        "type": "SetValue",
                        "componentId": "phaseWord",
                        "property": "text",
                        "value": cues.get(phase, ""),
                    },
                    {
                        "type": "AnimateItem",
                        "componentId": "circle",
                        "duration": round(seconds * 1000),
                        "easing": "ease-in-out",
                        "value": [
                            {
                                "property": "transform",
                                "from": [{"scale": shape[0]}],
                                "to": [{"scale": target[0]}],
                            },
                            {"property": "opacity", "from": shape[1], "to": target[1]},
                        ],
                    },
                ],
            }
        )
        shape = target
    return [
        {
            "type": "Sequential",
            "delay": max(0, delay_ms),
            "repeatCount": max(0, cycles - 1),
            "commands": steps,
        }
    ]


def breathing_directives(
    pattern: Pattern, cues: dict[str, str], cycles: int, delay_ms: int = 0
) -> list[RenderDocumentDirective | ExecuteCommandsDirective]:
    first = cues.get(pattern.phases[0][0], "") if pattern.phases else ""
    return [
        RenderDocumentDirective(
            token=BREATHING_TOKEN,
            document=document("breathing"),
            datasources={
                "breath": {"title": pattern.name[:1].upper() + pattern.name[1:], "phase": first}
            },
        ),
        # Commands as APL's own JSON (the serializer sends dicts as they are).
        ExecuteCommandsDirective(
            token=BREATHING_TOKEN,
            commands=breathing_commands(pattern, cues, cycles, delay_ms),  # type: ignore[arg-type]
        ),
    ]


def reflection_directive(title: str, text: str) -> RenderDocumentDirective:
    return RenderDocumentDirective(
        token=REFLECTION_TOKEN,
        document=document("reflection"),
        datasources={"reflection": {"title": title, "text": text}},
    )
