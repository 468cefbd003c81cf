"""``together``: serve the skill, or talk to it from a terminal.

    together serve   [--host 127.0.0.1] [--port 8000] [--dev] [--store URL] [--workers N]
                     [--threads N]
    together chat    [--locale en-US] [--household NAME] [--person NAME] [--store URL]
                     [--now ISO8601] [--timezone TZ] [--device voice|screen]
    together say     [same options] [--json] UTTERANCE [UTTERANCE ...]
    together resolve [--locale en-US] [--json] UTTERANCE
    together lint    [--json]
    together package --out DIR [--endpoint URL]
    together tools   [--store URL | --url URL [--token T]] [--locale L] [--timezone TZ]
                     [--now ISO8601] [--json] [TOOL [key=value ...]]

This is a contract other tools rely on: options and the ``--json`` fields only grow.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from skill.constants import ENV_LOG_LEVEL
from skill.errors import ConfigError, TogetherError
from skill.runtime import Settings, build_skill, utc_now

LOOPBACK_NAMES = {"localhost"}


class UsageError(TogetherError):
    """A command-line mistake: printed without a traceback, exit status 2."""


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _clock(now: str | None) -> Callable[[], datetime]:
    if not now:
        return utc_now
    try:
        moment = datetime.fromisoformat(now)
    except ValueError as exc:
        raise UsageError(
            f"--now must be ISO 8601, like 2026-11-25T21:30:00+00:00: {now!r}"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return lambda: moment


def _conversation(args: argparse.Namespace) -> Any:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from skill.sim.alexa import SimAlexaServices
    from skill.sim.envelope import Device
    from skill.sim.session import PERMISSION_NAMES, Conversation

    if args.timezone:
        try:
            ZoneInfo(args.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise UsageError(f"unknown time zone {args.timezone!r}") from exc
    zone_name = args.timezone
    settings = Settings.from_env(store_url=args.store)
    clock = _clock(args.now)
    skill = build_skill(settings, clock=clock, alexa=SimAlexaServices(zone_name))
    device = Device(
        household=args.household,
        person=args.person,
        locale=args.locale,
        screen=args.device == "screen",
        granted={PERMISSION_NAMES[name] for name in args.grant or ()},
    )
    return Conversation(skill, device, clock)


def _print_turn(result: Any, out: Any) -> None:
    label = result.intent or result.request["request"]["type"]
    print(f"  ({label}{_slots_text(result.slots)})", file=out)
    if result.speech:
        print(f"Alexa: {result.speech}", file=out)
    if result.reprompt:
        print(f"  (reprompt: {result.reprompt})", file=out)
    if result.card and result.card.get("type") == "AskForPermissionsConsent":
        print(
            f"  [card: asks to allow {', '.join(result.card.get('permissions') or [])}]", file=out
        )
    elif result.card:
        print(f"  [card: {result.card.get('title')}: {result.card.get('content')}]", file=out)
    for directive in result.directives:
        if directive.get("type") == "Alexa.Presentation.APL.RenderDocument":
            print(f"  [screen: the {directive.get('token')} document]", file=out)
        elif directive.get("type") == "Alexa.Presentation.APL.ExecuteCommands":
            print(f"  [screen: its animation ({_phases(directive)})]", file=out)
        if directive.get("type") == "Connections.SendRequest":
            scope = (directive.get("payload") or {}).get("permissionScope")
            print(f"  (Alexa asks the household to allow {scope}: answer yes or no)", file=out)
    asks = any(d.get("type") == "Connections.SendRequest" for d in result.directives)
    if not asks and result.end_session is not False and result.request.get("session") is not None:
        print("  (session ended)", file=out)


def _phases(directive: dict[str, Any]) -> str:
    """ "4 phases, 6 times" from an ExecuteCommands directive's animation."""
    commands = directive.get("commands") or [{}]
    steps = commands[0].get("commands") or []
    times = int(commands[0].get("repeatCount") or 0) + 1
    return f"{len(steps)} phases, {times} times"


def _slots_text(slots: dict[str, str | None]) -> str:
    filled = {k: v for k, v in slots.items() if v is not None}
    return " " + " ".join(f"{k}={v!r}" for k, v in filled.items()) if filled else ""


def cmd_say(args: argparse.Namespace) -> int:
    convo = _conversation(args)
    for utterance in args.utterances:
        result = convo.say(utterance)
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False))
        else:
            print(f"You: {utterance}")
            _print_turn(result, sys.stdout)
    return 0


def cmd_tools(args: argparse.Namespace) -> int:
    """The Alexa+ tools from a terminal: list them, or call one (see skill/mcp_server)."""
    from skill.mcp_server.terminal import ToolArgumentError, parse_arguments, run

    if args.url and (args.store or args.now):
        raise UsageError("--store and --now are for in-process calls; a --url server has its own")
    try:
        arguments = parse_arguments(args.arguments)
    except ToolArgumentError as exc:
        raise UsageError(str(exc)) from exc
    return run(
        args.tool,
        arguments,
        url=args.url,
        token=args.token,
        locale=args.locale,
        zone=args.timezone,
        store_url=args.store,
        clock=_clock(args.now),
        as_json=args.json,
        out=sys.stdout,
    )


def cmd_chat(args: argparse.Namespace) -> int:
    convo = _conversation(args)
    print(
        f'Talking to "{convo.invocation}" as household {args.household!r} ({args.locale}). '
        'Try "open resilient together". Ctrl-D to leave.'
    )
    while True:
        try:
            utterance = input("You: ")
        except EOFError:
            print()
            return 0
        if not utterance.strip():
            continue
        _print_turn(convo.say(utterance), sys.stdout)


def cmd_resolve(args: argparse.Namespace) -> int:
    from skill.sim.nlu import Nlu
    from skill.sim.session import considered_json

    nlu = Nlu.for_locale(args.locale)
    parse = nlu.resolve(" ".join(args.utterance))
    data: dict[str, Any] = {
        "intent": parse.intent,
        "slots": {
            name: {
                "value": fill.value,
                "resolution": None
                if fill.resolution is None
                else {
                    "status": fill.resolution.status,
                    "id": fill.resolution.value_id,
                    "name": fill.resolution.value_name,
                },
            }
            for name, fill in parse.slots.items()
        },
        "considered": considered_json(parse),
    }
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    print(f"intent: {data['intent']}")
    for name, slot in data["slots"].items():
        print(f"  {name} = {slot['value']!r} {slot['resolution'] or ''}")
    for c in data["considered"][:5]:
        print(f"  considered {c['intent']} ({c['score']}) via {c['sample']!r}")
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    from skill import lint

    return lint.main(json_output=args.json)


def cmd_models(args: argparse.Namespace) -> int:
    """Write (or check) the generated parts of every interaction model."""
    from skill import models
    from skill.lint import MODELS_DIR

    stale = 0
    for path in sorted(MODELS_DIR.glob("*.json")):
        if args.write:
            changed = models.write(path)
            print(f"{path.name}: {'written' if changed else 'up to date'}")
        elif models.stale(path):
            stale += 1
            print(f"{path.name}: out of date (together models --write)")
        else:
            print(f"{path.name}: up to date")
    return 1 if stale else 0


def cmd_package(args: argparse.Namespace) -> int:
    from pathlib import Path

    from skill import package
    from skill.content import supported_locales

    try:
        root = package.package(Path(args.out), endpoint=args.endpoint)
    except package.PackageError as exc:
        raise UsageError(str(exc)) from exc
    print(f"wrote {root}")
    missing = sorted(set(supported_locales()) - set(package.model_locales()))
    if missing:
        print(
            f"warning: no interaction model for {', '.join(missing)}: not in the package",
            file=sys.stderr,
        )
    left = package.placeholders_left(json.loads((root / "skill.json").read_text("utf-8")))
    if left:
        print(
            "warning: placeholders to fill before certification: " + ", ".join(left),
            file=sys.stderr,
        )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from skill.web.server import serve

    # --dev, else TOGETHER_DEV (Settings reads it)
    settings = Settings.from_env(store_url=args.store, dev=args.dev or None)
    if settings.dev:
        if not is_loopback(args.host):
            raise UsageError(
                f"dev mode skips request signatures, so it binds only to loopback, "
                f"not {args.host!r}"
            )
        print(
            "*** DEV MODE: Alexa signatures and timestamps are NOT checked, and /mcp (Alexa+) "
            "takes tool calls with NO token, as the local household. "
            f"Listening on {args.host}:{args.port} only. ***",
            file=sys.stderr,
        )
    else:
        try:
            settings.check_production()
        except ConfigError as exc:
            raise UsageError(f"{exc} (or use --dev on loopback to try it locally)") from exc
    return serve(
        settings, host=args.host, port=args.port, workers=args.workers, threads=args.threads
    )


def _talk_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--locale", default="en-US")
    parser.add_argument("--household", default="local", help="simulates amzn1.ask.account.NAME")
    parser.add_argument("--person", default=None, help="a recognised voice")
    parser.add_argument("--store", default=None, help="sqlite:///PATH (or TOGETHER_STORE)")
    parser.add_argument("--now", default=None, help="simulated time, ISO 8601")
    parser.add_argument("--timezone", default=None, help="the device's IANA time zone")
    parser.add_argument("--device", choices=("voice", "screen"), default="voice")
    parser.add_argument(
        "--grant",
        action="append",
        choices=("reminders",),
        help="a permission the household has already allowed (repeatable)",
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="together", description="Resilient Together, an Alexa skill")
    sub = top.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve POST /alexa with gunicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--dev", action="store_true", help="no signature checks; loopback only")
    serve.add_argument("--store", default=None)
    serve.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    serve.add_argument("--threads", type=int, default=None, help="threads per worker")
    serve.set_defaults(func=cmd_serve)

    chat = sub.add_parser("chat", help="talk to the skill in a terminal")
    _talk_options(chat)
    chat.set_defaults(func=cmd_chat)

    say = sub.add_parser("say", help="one session, one turn per argument")
    _talk_options(say)
    say.add_argument("--json", action="store_true", help="one JSON object per turn")
    say.add_argument("utterances", nargs="+", metavar="UTTERANCE")
    say.set_defaults(func=cmd_say)

    resolve = sub.add_parser("resolve", help="which intent an utterance resolves to")
    resolve.add_argument("--locale", default="en-US")
    resolve.add_argument("--json", action="store_true")
    resolve.add_argument("utterance", nargs="+")
    resolve.set_defaults(func=cmd_resolve)

    lint = sub.add_parser("lint", help="check the interaction models and the content")
    lint.add_argument("--json", action="store_true", help="findings as one JSON object")
    lint.set_defaults(func=cmd_lint)

    gen = sub.add_parser(
        "models", help="check (or --write) the model parts generated from the crisis pack"
    )
    gen.add_argument("--write", action="store_true", help="rewrite them in every model")
    gen.set_defaults(func=cmd_models)

    tool = sub.add_parser("tools", help="list or call the Alexa+ (MCP) tools")
    tool.add_argument("--store", default=None, help="sqlite:///PATH (or TOGETHER_STORE)")
    tool.add_argument("--url", default=None, help="a running server's /mcp, instead")
    tool.add_argument("--token", default=None, help="a bearer token, for --url in production")
    tool.add_argument("--locale", default=None, help="the locale the host passes (en-US)")
    tool.add_argument("--now", default=None, help="simulated time, ISO 8601 (in-process)")
    tool.add_argument("--timezone", default=None, help="the household's IANA zone (_meta)")
    tool.add_argument("--json", action="store_true", help="text, keys and data as JSON")
    tool.add_argument("tool", nargs="?", default=None, help="the tool; none: list them")
    tool.add_argument("arguments", nargs="*", metavar="key=value")
    tool.set_defaults(func=cmd_tools)

    pack = sub.add_parser("package", help="write an ASK CLI skill-package")
    pack.add_argument("--out", required=True, help="directory to write skill-package/ in")
    pack.add_argument("--endpoint", default=None, help="the HTTPS endpoint URL of the skill")
    pack.set_defaults(func=cmd_package)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=os.environ.get(ENV_LOG_LEVEL, "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    args = parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except UsageError as exc:
        print(f"together: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    raise SystemExit(main())
