"""``make natural-report``: the natural-speech sets, each row in the state it is said in.

Prints the share of rows where the skill did what the person meant, by state, by
meaning and by locale; what was saved or erased that should not have been; then every
miss. ``natural.tsv`` and ``natural_holdout.tsv`` are tuned on; ``natural_holdout2.tsv``
is never tuned on, so only its aggregates are printed (``--rows`` prints its rows too,
and then it is no longer held out). docs/understanding.md has the figures.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.natural_eval import play, read_set

# Never tuned on: only the aggregates are printed unless --rows.
HELD_OUT = ("natural_holdout2.tsv",)


def main(argv: list[str]) -> int:
    names = [a for a in argv if a.endswith(".tsv")] or [
        "natural.tsv",
        "natural_holdout.tsv",
        *HELD_OUT,
    ]
    verbose = "-q" not in argv
    for name in names:
        rows = read_set(name)
        started = time.perf_counter()
        report = play(rows)
        ok, n = report.passed()
        print(
            f"\n== {name}: {ok}/{n} did what the person meant ({ok / max(n, 1):.1%}), "
            f"{time.perf_counter() - started:.0f} s"
        )
        for title, attr in (
            ("state", lambda o: o.row.state),
            ("meaning", lambda o: o.row.label),
            ("locale", lambda o: o.row.locale),
        ):
            parts = [f"{k} {a}/{b}" for k, (a, b) in report.by(attr).items()]
            print(f"by {title}: " + ", ".join(parts))
        kept = report.wrongly_kept()
        print(f"saved or erased wrongly: {len(kept)}")
        if name in HELD_OUT and "--rows" not in argv:
            print("(held out: rows not printed; --rows prints them)")
            continue
        for o in kept:
            what = "ERASED" if o.erased else "SAVED"
            print(f"  {what} {o.row.locale} {o.row.state}: {o.row.utterance!r} ({o.row.meaning})")
        if verbose:
            print("misses:")
            for o in report.outcomes:
                if not o.ok:
                    print(
                        f"  {o.row.locale} {o.row.state:<18} {o.row.meaning:<24} "
                        f"{o.row.utterance!r} -> {o.intent} {list(o.keys)[:3]}"
                    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
