"""One process at a time for the steps tests share across the machine: building into the cache, installing
Debian packages, downloading once. The slow layers run on two pytest-xdist workers (Makefile: WORKERS), and
two checkouts may share ~/.cache/iamkit-ec2, so two processes can reach the same step at once; the second
waits here and then finds the work done."""

import fcntl
import os
from contextlib import contextmanager


@contextmanager
def exclusive(lock_path):
    """Hold an exclusive lock on lock_path (created if missing) for the block."""
    os.makedirs(os.path.dirname(lock_path), exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
