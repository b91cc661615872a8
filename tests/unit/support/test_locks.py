"""tests/support/locks.py: while one process holds the lock, another cannot take it; after, it can."""

import subprocess
import sys

from tests.support.locks import exclusive

# What a second process (another xdist worker) sees: whether it can take the lock without waiting.
TRY_LOCK = """
import fcntl, sys
with open(sys.argv[1], "a") as handle:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("held")
    else:
        print("free")
"""


def other_process_sees(lock_path):
    return subprocess.run([sys.executable, "-c", TRY_LOCK, lock_path], capture_output=True, text=True,
                          check=True, timeout=60).stdout.strip()


def test_a_second_process_waits_while_the_lock_is_held_and_takes_it_after(tmp_path):
    lock_path = str(tmp_path / "made" / "by-the-lock" / "step.lock")
    with exclusive(lock_path):
        assert other_process_sees(lock_path) == "held"
    assert other_process_sees(lock_path) == "free"


def test_the_lock_is_released_when_the_block_fails(tmp_path):
    lock_path = str(tmp_path / "step.lock")
    try:
        with exclusive(lock_path):
            raise RuntimeError("the step failed")
    except RuntimeError:
        pass
    assert other_process_sees(lock_path) == "free"
