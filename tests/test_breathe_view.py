"""The breathe tool's MCP Apps view (skill/content/apps/breathe.html) in headless Chromium
(Debian's package; ``make test`` installs it, ``make chromium`` alone too).

Time is Chromium's virtual time: ``--virtual-time-budget=N`` runs the page's clock
(performance.now(), timers) N ms past its start and then takes the screenshot and the DOM,
so each moment is deterministic and needs no real waiting. Under virtual time few real
animation frames run and their timestamps lag, but performance.now() keeps up: the view
draws the circle from performance.now() in each frame, and the frame that the screenshot
forces shows that moment; the cue changes on timers, which the DOM shows. The data comes
through the view's ``#data=`` entry (base64url JSON of the tool result's
structuredContent), except in the last test, where a stand-in MCP Apps host sends it. The
circle's diameter is measured from the screenshot's pixels (tests/pngread.py)."""

from __future__ import annotations

import base64
import html
import json
import random
import re
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests import pngread

ROOT = Path(__file__).resolve().parent.parent
VIEW = ROOT / "skill" / "content" / "apps" / "breathe.html"
WINDOW = 400
#: The circle's diameter at scale 1, in pixels: the view draws it at 50vmin (a 60vmin
#: stage, room for scales up to 1.2), so half the window's side.
FULL = WINDOW * 0.5
#: Pixels of slack in a measured diameter (anti-aliased edges, a frame's timing).
SLACK = 4

BOX: dict[str, Any] = {
    "pattern": "box",
    "name": "Box breathing",
    "seconds": 120,
    "cycles": 8,
    "phases": [
        {"phase": "in", "seconds": 4, "cue": "Breathe in", "scale": 1.0},
        {"phase": "hold", "seconds": 4, "cue": "Hold", "scale": 1.0},
        {"phase": "out", "seconds": 4, "cue": "Breathe out", "scale": 0.6},
        {"phase": "hold_empty", "seconds": 4, "cue": "Hold", "scale": 0.6},
    ],
    "rest_scale": 0.6,
}

#: Fractional seconds, and a scale over 1: 2.5 + 1.5 + 6 = 10 s a round, two rounds.
SIGH: dict[str, Any] = {
    "pattern": "cyclic_sigh",
    "name": "Cyclic sighing",
    "seconds": 20,
    "cycles": 2,
    "phases": [
        {"phase": "in", "seconds": 2.5, "cue": "Breathe in gently", "scale": 1.0},
        {"phase": "in_top_up", "seconds": 1.5, "cue": "A little more", "scale": 1.12},
        {"phase": "out_long", "seconds": 6, "cue": "Let it all go, slowly", "scale": 0.6},
    ],
    "rest_scale": 0.6,
}


# ---- the PNG reader -------------------------------------------------------------------


def _filter(kind: int, line: bytes, prev: bytes, bpp: int) -> bytes:
    """Apply one PNG row filter (the encoder's side, to test the reader's undoing)."""
    out = bytearray()
    for i, value in enumerate(line):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 0:
            pred = 0
        elif kind == 1:
            pred = a
        elif kind == 2:
            pred = b
        elif kind == 3:
            pred = (a + b) // 2
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out.append((value - pred) & 0xFF)
    return bytes([kind]) + bytes(out)


def _png(
    width: int, rows: list[bytes], colour: int, *, depth: int = 8, interlace: int = 0
) -> bytes:
    bpp = pngread.CHANNELS.get(colour, 3)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    raw, prev = b"", bytes(width * bpp)
    for y, line in enumerate(rows):
        raw += _filter(y % 5, line, prev, bpp)
        prev = line
    header = struct.pack(">IIBBBBB", width, len(rows), depth, colour, 0, 0, interlace)
    idat = zlib.compress(raw)
    # The image data split over two IDAT chunks, as encoders may.
    return (
        pngread.SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", idat[:7])
        + chunk(b"IDAT", idat[7:])
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("colour", [2, 6])
def test_the_png_reader_undoes_all_five_filters(colour: int) -> None:
    bpp = pngread.CHANNELS[colour]
    rng = random.Random(colour)
    width, height = 13, 10  # every filter type twice
    rows = [bytes(rng.randrange(256) for _ in range(width * bpp)) for _ in range(height)]
    image = pngread.decode(_png(width, rows, colour))
    assert (image.width, image.height, image.bpp) == (width, height, bpp)
    assert list(image.rows) == rows
    assert image.rgb(2, 3) == tuple(rows[3][2 * bpp : 2 * bpp + 3])


def test_the_png_reader_refuses_what_it_cannot_read() -> None:
    rows = [bytes(6)]
    with pytest.raises(pngread.PngError, match="interlaced"):
        pngread.decode(_png(2, rows, 2, interlace=1))
    with pytest.raises(pngread.PngError, match="8-bit"):
        pngread.decode(_png(2, rows, 0))
    broken = bytearray(_png(2, rows, 2))
    broken[-20] ^= 0xFF  # inside the last IDAT chunk
    with pytest.raises(pngread.PngError, match="CRC"):
        pngread.decode(bytes(broken))
    with pytest.raises(pngread.PngError, match="not a PNG"):
        pngread.decode(b"GIF89a")


# ---- the view in Chromium -------------------------------------------------------------


class _Text(HTMLParser):
    """The text a page shows: text nodes outside script and style, and the values of
    attributes that browsers show or speak."""

    SPOKEN = frozenset({"alt", "title", "placeholder", "aria-label", "aria-description"})

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        self.attributes += [(k, v or "") for k, v in attrs if k in self.SPOKEN]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.texts.append(data.strip())


def shown_text(markup: str) -> list[str]:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    assert not parser.attributes, parser.attributes
    return parser.texts


@dataclass(frozen=True)
class Moment:
    seconds: float
    #: The circle's widest row and tallest column, in pixels.
    width: int
    height: int
    #: The rendered DOM's visible text nodes.
    texts: list[str]


def chromium() -> str:
    found = shutil.which("chromium")
    assert found, (
        "chromium is missing: run `make chromium` (make test installs it), "
        "or apt-get install chromium"
    )
    return found


def _longest_run(flags: list[bool]) -> int:
    best = run = 0
    for flag in flags:
        run = run + 1 if flag else 0
        best = max(best, run)
    return best


def circle_size(image: pngread.Image) -> tuple[int, int]:
    """The circle's widest row and tallest column. A circle pixel is far from the
    background (the corner's colour, more than half way to the circle's edge colour) and
    blue-grey like the circle (blue well over red), which leaves out the soft glow
    around it and the light text."""
    bg = image.rgb(0, 0)
    edge = (0x7F, 0xA7, 0xB8)
    reach = sum((e - b) ** 2 for e, b in zip(edge, bg, strict=True)) / 4

    def inside(x: int, y: int) -> bool:
        r, g, b = image.rgb(x, y)
        far = (r - bg[0]) ** 2 + (g - bg[1]) ** 2 + (b - bg[2]) ** 2 > reach
        return far and b - r > 32

    mask = [[inside(x, y) for x in range(image.width)] for y in range(image.height)]
    width = max(_longest_run(row) for row in mask)
    height = max(_longest_run([row[x] for row in mask]) for x in range(image.width))
    return width, height


def render(url: str, seconds: float, tmp_path: Path, *flags: str) -> tuple[pngread.Image, str]:
    """A screenshot of `url` and its DOM, `seconds` of virtual time after it loaded."""
    exe = chromium()
    shot = tmp_path / f"at-{seconds}.png"
    shot.unlink(missing_ok=True)
    run = subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--mute-audio",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--window-size={WINDOW},{WINDOW}",
            f"--virtual-time-budget={round(seconds * 1000)}",
            f"--screenshot={shot}",
            "--dump-dom",
            *flags,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0 and shot.is_file(), run.stderr[-3000:]
    return pngread.read(shot), run.stdout


def at(data: dict[str, Any], seconds: float, tmp_path: Path, *flags: str) -> Moment:
    """The view `seconds` after it started on `data` (from #data=): its circle and its
    shown text."""
    page = tmp_path / "breathe.html"
    shutil.copyfile(VIEW, page)
    blob = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    image, dom = render(f"{page.as_uri()}#data={blob}", seconds, tmp_path, *flags)
    width, height = circle_size(image)
    return Moment(seconds, width, height, shown_text(dom))


def px(scale: float) -> float:
    return FULL * scale


def assert_size(moment: Moment, scale: float) -> None:
    """The circle is round and `scale` times its full size (within SLACK pixels)."""
    assert abs(moment.width - moment.height) <= 2, moment
    assert abs(moment.width - px(scale)) <= SLACK, (moment, px(scale))


def test_the_view_has_no_words_of_its_own_and_loads_nothing() -> None:
    page = VIEW.read_text(encoding="utf-8")
    assert shown_text(page) == []
    # Self-contained: no external scripts, styles, fonts or images for a sandbox's CSP.
    for needle in ("http:", "https:", "src=", "href=", "@import", "url(", "//cdn"):
        assert needle not in page, needle


def test_box_breathing_follows_the_timing(tmp_path: Path) -> None:
    mid_in, held, mid_out = (at(BOX, s, tmp_path) for s in (2, 6, 10))
    # 6 s: the hold after breathing in, the circle held at full size.
    assert_size(held, 1.0)
    # 2 s: half way through breathing in, half way from rest (0.6) to full.
    assert px(0.6) + 3 * SLACK < mid_in.width < held.width - 3 * SLACK
    assert_size(mid_in, 0.8)
    # 10 s: half way through breathing out, smaller than held, half way back to rest.
    assert mid_out.width < held.width - 3 * SLACK
    assert_size(mid_out, 0.8)
    # Every word shown is the data's: the pattern's name and the cue of the moment.
    assert mid_in.texts == ["Box breathing", "Breathe in"]
    assert held.texts == ["Box breathing", "Hold"]
    assert mid_out.texts == ["Box breathing", "Breathe out"]


def test_fractional_seconds_and_rounds_follow_the_timing(tmp_path: Path) -> None:
    top_up, long_out, second_round, after = (
        at(SIGH, s, tmp_path) for s in (3.25, 7.0, 13.25, 20.5)
    )
    # 3.25 s: half way through the 1.5 s top-up (2.5 s to 4 s), from 1.0 to 1.12.
    assert_size(top_up, 1.06)
    assert top_up.texts == ["Cyclic sighing", "A little more"]
    # 7 s: half way through the 6 s breath out (4 s to 10 s), from 1.12 to 0.6.
    assert_size(long_out, 0.86)
    assert long_out.texts == ["Cyclic sighing", "Let it all go, slowly"]
    # 13.25 s: the second round's top-up, the same as the first's.
    assert_size(second_round, 1.06)
    assert second_round.texts == ["Cyclic sighing", "A little more"]
    # 20.5 s: both rounds are over; the circle rests and no cue is left.
    assert_size(after, 0.6)
    assert after.texts == ["Cyclic sighing"]


def test_with_reduced_motion_the_circle_stays_still_and_the_cues_go_on(tmp_path: Path) -> None:
    # 10 s: half way through breathing out, where the animated circle is at 0.8.
    still = at(BOX, 10, tmp_path, "--force-prefers-reduced-motion")
    assert_size(still, 1.0)
    assert still.texts == ["Box breathing", "Breathe out"]


#: A stand-in MCP Apps host (SEP-1865): it frames the view, answers ui/initialize with a
#: host context, and after ui/notifications/initialized sends the tool's input and result,
#: then pings. It logs every message the view sends into <pre id="log">.
HOST = """<!DOCTYPE html>
<html><body style="margin:0">
<iframe id="view" src="breathe.html"
  style="border:0;display:block;width:%(size)dpx;height:%(size)dpx"></iframe>
<pre id="log" hidden></pre>
<script>
const view = document.getElementById("view");
const log = [];
const post = (m) => view.contentWindow.postMessage(Object.assign({jsonrpc: "2.0"}, m), "*");
window.addEventListener("message", (event) => {
  if (event.source !== view.contentWindow) return;
  const m = event.data;
  log.push(m);
  document.getElementById("log").textContent = JSON.stringify(log);
  if (m.method === "ui/initialize") {
    post({id: m.id, result: {
      protocolVersion: "2026-01-26", hostCapabilities: {},
      hostInfo: {name: "test-host", version: "0"},
      hostContext: {theme: "dark", locale: "en-GB", displayMode: "inline",
                    containerDimensions: {width: %(size)d, height: %(size)d}}}});
  } else if (m.method === "ui/notifications/initialized") {
    post({method: "ui/notifications/tool-input", params: {arguments: {pattern: "box"}}});
    post({method: "ui/notifications/tool-result",
          params: {content: [{type: "text", text: "-"}], structuredContent: %(data)s}});
    post({id: "ping-1", method: "ping"});
  }
});
</script>
</body></html>
"""


def test_the_view_takes_its_data_from_an_mcp_apps_host(tmp_path: Path) -> None:
    shutil.copyfile(VIEW, tmp_path / "breathe.html")
    host = tmp_path / "host.html"
    host.write_text(HOST % {"size": WINDOW, "data": json.dumps(BOX)}, encoding="utf-8")
    image, dom = render(host.as_uri(), 6, tmp_path)
    found = re.search(r'<pre id="log" hidden="">(.*?)</pre>', dom, re.S)
    assert found, dom
    sent = json.loads(html.unescape(found.group(1)))
    # The handshake: ui/initialize (a request), then ui/notifications/initialized.
    first, second, third = sent
    assert first["method"] == "ui/initialize" and "id" in first, first
    assert first["params"]["protocolVersion"] == "2026-01-26"
    assert {"appInfo", "appCapabilities"} <= first["params"].keys()
    assert second == {"jsonrpc": "2.0", "method": "ui/notifications/initialized", "params": {}}
    # The host's ping is answered.
    assert third == {"jsonrpc": "2.0", "id": "ping-1", "result": {}}
    # The tool result started the exercise: 6 s in, the hold after breathing in, at full size.
    width, height = circle_size(image)
    assert_size(Moment(6, width, height, []), 1.0)
