"""``make crisis-report``: every crisis set, said in four places, in every locale.

Prints, per set and place: crisis recall (the crisis answer was given), false alarms
(the crisis answer to an ordinary sentence or to distress), distress met with care, and
ordinary sentences answered as ordinary; then every miss. The held-out set is reported
here and nowhere tuned on (docs/safety.md has the figures).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.crisis_eval import LOCALES, PLACES, play, read_set


def main(argv: list[str]) -> int:
    names = [a for a in argv if a.endswith(".tsv")] or [
        "tune.tsv",
        "tune2.tsv",
        "holdout2.tsv",
        "holdout3.tsv",
        "holdout4.tsv",
        "holdout5.tsv",
    ]
    locales = [a for a in argv if a in LOCALES] or list(LOCALES)
    for name in names:
        statements = read_set(name)
        started = time.perf_counter()
        report = play(statements, locales)
        took = time.perf_counter() - started
        print(
            f"\n== {name}: {len(statements)} statements x {len(PLACES)} places x "
            f"{len(locales)} locales ({took:.0f} s)"
        )
        print(
            f"{'place':<10} {'crisis recall':>16} {'false alarms':>14} "
            f"{'distress cared':>16} {'ordinary ok':>14}"
        )
        for place in (*PLACES, None):
            hit, n = report.count("crisis", ["crisis"], place)
            fa1, n1 = report.count("none", ["crisis"], place)
            fa2, n2 = report.count("support", ["crisis"], place)
            care, n3 = report.count("support", ["support", "crisis"], place)
            ok, n4 = report.count("none", ["none"], place)
            label = place or "all"
            print(
                f"{label:<10} {hit:>6}/{n:<4} {hit / max(n, 1):6.1%} {fa1 + fa2:>6}/{n1 + n2:<6} "
                f"{care:>6}/{n3:<4} {care / max(n3, 1):5.1%} {ok:>6}/{n4:<4} {ok / max(n4, 1):5.1%}"
            )
        misses = report.misses()
        seen: dict[tuple[str, str, str], list[str]] = {}
        for o in misses:
            seen.setdefault((o.statement.expect, o.got, o.statement.text), []).append(
                f"{o.place}/{o.locale}"
            )
        print(f"misses ({len(misses)} turns, {len(seen)} statements):")
        for (expect, got, text), where in sorted(seen.items()):
            places = ", ".join(sorted({w.split("/")[0] for w in where}))
            print(f"  {expect}->{got}: {text!r}  [{len(where)} turns: {places}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
