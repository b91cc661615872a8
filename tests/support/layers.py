"""`make test`: every layer, each through its own `make <layer>`, and the time of each printed at the end.

    python -m tests.support.layers --one-by-one lint sanity ... --together world molecule ee

The layers after --one-by-one run in turn, each showing its output as it goes; the first that fails stops the
run. Those after --together then start at the same time: alone, each leaves one of the two cores idle while it
waits on its podman hosts (molecule keeps about 1.0 busy, world 0.7, measured), where the others keep both
busy, so only these gain from sharing the machine (world, molecule and ee: 715 s together against 959 s in
turn). Their outputs go to tests/output/layers/<layer>.log and are shown whole, each when its layer ends. The
steps they share on the machine (Debian packages, the host image, the agent packages) take a file lock
(tests/support/locks.py), as the workers of one layer do, so each layer still sets up what it needs itself.
"""

import argparse
import os
import subprocess
import sys
import time

from tests.support.paths import ROOT

LOG_DIR = os.path.join(ROOT, "tests", "output", "layers")
# What the progress lines call the run: `make test`, or `make matrix LEG=...` (--label).
label = "make test"


def make_command(layer):
    return ["make", "--no-print-directory", layer]


def run_one_by_one(layers, times):
    """Each layer in turn, its output shown live. True when all passed."""
    for layer in layers:
        print("==== %s: layer %s" % (label, layer), flush=True)
        started = time.monotonic()
        code = subprocess.call(make_command(layer), cwd=ROOT)
        times.append((layer, time.monotonic() - started, code))
        if code != 0:
            print("==== %s: layer '%s' FAILED" % (label, layer), flush=True)
            return False
    return True


def run_together(layers, times):
    """Every layer at once, each into its log, shown when it ends. True when all passed."""
    if not layers:
        return True
    os.makedirs(LOG_DIR, exist_ok=True)
    print("==== %s: layers %s, at the same time (logs in %s)" % (label, ", ".join(layers), LOG_DIR), flush=True)
    started = time.monotonic()
    running = {}
    for layer in layers:
        log = open(os.path.join(LOG_DIR, layer + ".log"), "w")
        running[layer] = (subprocess.Popen(make_command(layer), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT), log)
    passed = True
    while running:
        for layer, (process, log) in list(running.items()):
            if process.poll() is None:
                continue
            log.close()
            del running[layer]
            times.append((layer, time.monotonic() - started, process.returncode))
            show_log(layer, process.returncode)
            passed = passed and process.returncode == 0
        time.sleep(1)
    return passed


def show_log(layer, code):
    print("==== %s: layer %s" % (label, layer))
    with open(os.path.join(LOG_DIR, layer + ".log")) as handle:
        sys.stdout.write(handle.read())
    if code != 0:
        print("==== %s: layer '%s' FAILED" % (label, layer))
    sys.stdout.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--one-by-one", nargs="*", default=[], metavar="LAYER")
    parser.add_argument("--together", nargs="*", default=[], metavar="LAYER")
    parser.add_argument("--label", default="make test", help="what the progress lines call the run")
    args = parser.parse_args(argv)
    global label
    label = args.label
    started, times = time.monotonic(), []
    passed = run_one_by_one(args.one_by_one, times) and run_together(args.together, times)
    print("==== %s: time per layer" % label)
    for layer, seconds, code in times:
        print("  %s %d s%s" % (layer, seconds, "" if code == 0 else " (FAILED)"))
    print("  all %d s" % (time.monotonic() - started))
    if passed:
        print("==== %s: all layers passed (%s)" % (label, " ".join(args.one_by_one + args.together)))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
