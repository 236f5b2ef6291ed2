"""Regression guard (`make bench-check`): run the quick variants of the benchmarks and fail when a ratio to its
baseline falls more than 30% below the one recorded in bench/baseline.json.

Each benchmark measures our code and its baseline in the same run and prints one JSON line of ratios
(`--json`); only those ratios are compared, never absolute rates, because this shared machine's speed varies
several-fold between runs while a ratio measured side by side varies much less. A ratio above the recorded
one passes (record it with `--record` once the gain is real). Not part of `make test`: about 3 minutes.

    .venv/bin/python bench/check.py [--only pages,heartbeats,tus,tus-granian,tus-waitress] [--tolerance 0.30] [--record]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINE = HERE / "baseline.json"
# the quick variants: small enough to finish in a minute or so each, large enough that the ratio means something
QUICK = {
    # with other workers enrolling meanwhile, as on the live site (an enrolment used to make every kept part again)
    "pages": ["catalog_pages.py", "--resources", "5000", "--requests", "300", "--enrolments-per-s", "1", "--json"],
    "heartbeats": ["heartbeats.py", "--seconds", "4", "--servers", "one,granian", "--json"],
    "tus": ["tus_upload.py", "--mb", "32", "--rounds", "3", "--json"],  # `qiuxue serve`: granian, one process
    "tus-granian": ["tus_upload.py", "--mb", "32", "--rounds", "3", "--server", "granian", "--json"],
    # waitress spools the body first (granian streams it to the app): its own path in media.tus
    "tus-waitress": ["tus_upload.py", "--mb", "32", "--rounds", "3", "--server", "waitress", "--json"],
}


def measure(name: str) -> dict[str, float]:
    """Run one quick benchmark; its last JSON line (ratios by name). Raises when it fails or prints none."""
    if name == "heartbeats" and shutil.which("wrk") is None:
        raise RuntimeError("heartbeats needs wrk (apt-get install wrk)")
    done = subprocess.run([sys.executable, str(HERE / QUICK[name][0]), *QUICK[name][1:]], capture_output=True,
                          text=True, cwd=HERE.parent)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{name} failed (exit {done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return {key: float(value) for key, value in json.loads(lines[-1]).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(QUICK))
    parser.add_argument("--tolerance", type=float, default=0.30, help="largest allowed fall, as a fraction")
    parser.add_argument("--record", action="store_true", help="write the measured ratios as the new baseline")
    args = parser.parse_args()
    recorded = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else {"ratios": {}}
    failures, measured = [], {}
    for name in args.only.split(","):
        try:
            measured.update(ratios := measure(name))
        except RuntimeError as err:
            failures.append(str(err))
            continue
        for key, value in ratios.items():
            was = recorded["ratios"].get(key)
            floor = None if was is None else was * (1 - args.tolerance)
            verdict = "new" if floor is None else ("ok" if value >= floor else "FELL")
            print(f"{verdict:>4}  {key}: {value:.3f}" + ("" if was is None else f" (recorded {was:.3f}, "
                                                                              f"floor {floor:.3f})"), flush=True)
            if verdict == "FELL":
                failures.append(f"{key} fell to {value:.3f}, more than {args.tolerance:.0%} below {was:.3f}")
    if args.record and not failures:
        recorded["ratios"].update(measured)
        BASELINE.write_text(json.dumps(recorded, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"recorded in {BASELINE.name}")
    if failures:
        print("\n".join(["bench-check failed:", *failures]), file=sys.stderr)
        sys.exit(1)
    print("bench-check: every ratio within tolerance")


if __name__ == "__main__":
    main()
