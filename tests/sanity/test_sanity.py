"""The sanity layer: `ansible-test sanity` with every test and no ignore entries, on a real copy of the
checkout with amazon.aws beside it (tests/sanity/run.sh says why each step is needed)."""

import os

from tests.support.ansible_cli import run
from tests.support.paths import BIN
from tests.support.paths import ROOT


def test_ansible_test_sanity_passes():
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    result = run(["bash", os.path.join(ROOT, "tests", "sanity", "run.sh")], env, cwd=ROOT, check=False, timeout=2400)
    assert result.returncode == 0, "ansible-test sanity failed:\n%s\n%s" % (result.stdout[-30000:],
                                                                            result.stderr[-5000:])
