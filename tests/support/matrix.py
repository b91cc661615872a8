"""`make matrix-ci`: the sanity and unit layers of every leg of the support matrix (tests/matrix/<leg>.txt), or of
the legs named (CI names the oldest and the newest), with each leg's time printed.

    python -m tests.support.matrix [--jobs 2] [--layers sanity unit] [LEG ...]

Two legs run at a time, the machine having two cores; each leg's layers then run in one process (WORKERS=0),
so two legs keep both cores busy and no more. The legs of one ansible-core run in turn, in one queue entry:
they share ansible-test's virtualenvs (tests/sanity/run.sh keeps one HOME per ansible-core and Python), which
two runs must not build at once. Each leg's output goes to tests/output/matrix/<leg>.log and is shown when the
leg fails. Every leg runs even after one fails, so one CI run gives the whole matrix's result.
"""

import argparse
import glob
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from tests.support.paths import ROOT

LEG_DIR = os.path.join(ROOT, "tests", "matrix")
LOG_DIR = os.path.join(ROOT, "tests", "output", "matrix")


def all_legs():
    """Every leg with a pinned file, in ansible-core order (the file names start with the core's version)."""
    names = [os.path.basename(path)[:-len(".txt")] for path in glob.glob(os.path.join(LEG_DIR, "*-aws*.txt"))]
    return sorted(names, key=lambda leg: [int(part) if part.isdigit() else part
                                          for part in leg.replace("-aws", ".").split(".")])


def by_ansible_core(legs):
    """[[legs of one ansible-core], ...]: each list is one queue entry, run in turn."""
    groups = {}
    for leg in legs:
        groups.setdefault(leg.split("-", 1)[0], []).append(leg)
    return list(groups.values())


def run_leg(leg, layers):
    """`make matrix` for one leg, into its log; (leg, seconds, exit code)."""
    os.makedirs(LOG_DIR, exist_ok=True)
    command = ["make", "--no-print-directory", "matrix", "LEG=" + leg, "MATRIX_LAYERS=" + " ".join(layers),
               "WORKERS=0"]
    started = time.monotonic()
    with open(os.path.join(LOG_DIR, leg + ".log"), "w") as log:
        code = subprocess.call(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    print("==== make matrix-ci: leg %s %s in %d s" % (leg, "passed" if code == 0 else "FAILED", seconds), flush=True)
    if code != 0:
        show_log(leg)
    return leg, seconds, code


def run_in_turn(legs, layers):
    return [run_leg(leg, layers) for leg in legs]


def show_log(leg):
    with open(os.path.join(LOG_DIR, leg + ".log")) as handle:
        sys.stdout.write(handle.read())
    sys.stdout.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--jobs", type=int, default=2, help="legs at a time (default 2: the machine's cores)")
    parser.add_argument("--layers", nargs="+", default=["sanity", "unit"], metavar="LAYER")
    parser.add_argument("legs", nargs="*", metavar="LEG", help="default: every tests/matrix/<leg>.txt")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        queued = [pool.submit(run_in_turn, group, args.layers) for group in by_ansible_core(args.legs or all_legs())]
        results = sorted((result for future in queued for result in future.result()),
                         key=lambda result: all_legs().index(result[0]) if result[0] in all_legs() else 0)
    print("==== make matrix-ci: %s on each leg, %d at a time" % (" and ".join(args.layers), args.jobs))
    for leg, seconds, code in results:
        print("  %s %d s%s" % (leg, seconds, "" if code == 0 else " (FAILED)"))
    print("  all %d s" % (time.monotonic() - started))
    failed = [leg for leg, _seconds, code in results if code != 0]
    if failed:
        print("==== make matrix-ci: FAILED on %s (logs in %s)" % (", ".join(failed), LOG_DIR))
        return 1
    print("==== make matrix-ci: every leg passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
