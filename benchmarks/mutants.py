"""`make mutants`: a bounded mutation survey of the engine's hot path (`kaohe/scoring/fast.py`) and its rules
(`kaohe/scoring/rules.py`), each mutant judged by the scoring package's own tests only (`[tool.mutmut]`).

mutmut makes every mutant of the two files (some three thousand); judging them all would take the better part of
an hour here, so the survey judges an evenly spread sample (every Nth mutant by name) under a wall-clock bound,
and writes the kill rate and every surviving mutant into docs/benchmarks.md, between its markers. If the bound is
reached, mutmut is stopped and the mutants it did not reach are reported as not judged.

    python benchmarks/mutants.py [--every 8] [--minutes 19]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- mutants:begin -->", "<!-- mutants:end -->"
MUTMUT = str(Path(sys.executable).with_name("mutmut"))
# mutmut's exit codes of a judged mutant (mutmut.stats.status_by_exit_code), folded into what the survey reports.
KILLED, TIMEOUT, SURVIVED = {1, 3}, {36, -24, 24, 152, 255}, {0}
NOT_JUDGED = "not judged"
ENV = {**os.environ, "KAOHE_HYPOTHESIS_PROFILE": "mutants"}


def generate() -> list[str]:
    """Make every mutant and learn which tests reach which function, judging none (a filter that matches none)."""
    shutil.rmtree(MUTANTS, ignore_errors=True)
    done = subprocess.run(
        [MUTMUT, "run", "kaohe.scoring.none-such-mutant"], cwd=ROOT, env=ENV, capture_output=True, text=True
    )
    metas = sorted(MUTANTS.glob("kaohe/scoring/*.py.meta"))
    if not metas or "nothing matches" not in done.stdout + done.stderr:
        sys.exit(f"mutmut did not make the mutants:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return sorted(name for meta in metas for name in json.loads(meta.read_text())["exit_code_by_key"])


def judge(sample: list[str], deadline: float) -> None:
    """Run mutmut on the sample; at the deadline, stop it as Ctrl-C would (it keeps what it has judged)."""
    run = subprocess.Popen(
        [MUTMUT, "run", "--max-children", str(os.cpu_count() or 2), *sample],
        cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        run.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGINT)
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()


def verdicts(sample: list[str]) -> dict[str, str]:
    codes: dict[str, int | None] = {}
    for meta in MUTANTS.glob("kaohe/scoring/*.py.meta"):
        codes.update(json.loads(meta.read_text())["exit_code_by_key"])

    def verdict(code: int | None) -> str:
        if code in KILLED:
            return "killed"
        if code in TIMEOUT:
            return "timeout"
        return "survived" if code in SURVIVED else NOT_JUDGED

    return {name: verdict(codes.get(name)) for name in sample}


def change_of(name: str) -> str:
    """The mutated line before and after, from `mutmut show` (a unified diff)."""
    diff = subprocess.run([MUTMUT, "show", name], cwd=ROOT, capture_output=True, text=True).stdout
    removed = [line[1:].strip() for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    pairs = [(a, b) for a, b in zip(removed, added, strict=False) if a != b] or [(" ".join(removed), " ".join(added))]
    before, after = pairs[0]
    return f"`{before}` → `{after}`".replace("|", "\\|")


def report(total: int, every: int, found: dict[str, str], seconds: float) -> str:
    counts = Counter(found.values())
    judged = len(found) - counts[NOT_JUDGED]
    dead = counts["killed"] + counts["timeout"]
    rate = f"{100 * dead / judged:.1f}%" if judged else "—"
    survivors = [name for name, verdict in found.items() if verdict == "survived"]
    lines = [
        BEGIN,
        f"Last survey: {date.today().isoformat()}, {os.cpu_count()} cores, {seconds / 60:.1f} min wall time "
        f"(`make mutants`, every {every}th of {total} mutants of `fast.py` and `rules.py`, "
        "hypothesis profile `mutants`: 20 examples a property, fixed seed).",
        "",
        "| sampled | killed | timed out | survived | not judged (bound reached) | kill rate |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {len(found)} | {counts['killed']} | {counts['timeout']} | {len(survivors)} | {counts[NOT_JUDGED]} "
        f"| {rate} |",
        "",
        "Surviving mutants (`mutmut show <name>` prints the whole diff):",
        "",
        "| mutant | change |",
        "|---|---|",
        *(f"| `{name.removeprefix('kaohe.scoring.')}` | {change_of(name)} |" for name in survivors),
        END,
    ]
    return "\n".join(lines)


def write(section: str) -> None:
    text = DOC.read_text()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    DOC.write_text(pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=8, help="judge every Nth mutant by name (default 8)")
    parser.add_argument("--minutes", type=float, default=19.0, help="wall-clock bound of the whole survey")
    args = parser.parse_args()
    start = time.monotonic()
    names = generate()
    sample = names[:: args.every]
    print(f"{len(names)} mutants made, {len(sample)} sampled, {time.monotonic() - start:.0f} s", flush=True)
    # Leave a minute to read the verdicts and write the report.
    judge(sample, deadline=start + args.minutes * 60 - 60)
    found = verdicts(sample)
    write(report(len(names), args.every, found, time.monotonic() - start))
    print(f"{Counter(found.values())} in {(time.monotonic() - start) / 60:.1f} min; written to {DOC.name}")


if __name__ == "__main__":
    main()
