"""The package mirror served over loopback HTTP, as the test world's hosts reach it."""

import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.support import mirror
from tests.support.paths import ROOT
from tests.support.world import wait_for_file


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    base = tmp_path_factory.mktemp("mirror")
    summary = mirror.publish(str(base / "root"), str(base / "gnupg"), str(base / "cache"), with_rpm=False)
    return base, summary


def test_served_over_loopback_http(published, tmp_path):
    base, summary = published
    state = str(tmp_path / "mirror.json")
    process = subprocess.Popen([sys.executable, "-m", "tests.support.mirror", "serve", "--root", str(base / "root"),
                                "--state", state], cwd=ROOT)
    try:
        wait_for_file(state, process, "mirror")
        url = json.load(open(state))["url"]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "/info/latest/CWAGENT_VERSION", timeout=5) as response:
            assert response.read().decode().strip() == summary["latest"]
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(url + "/debian/arm64/latest/amazon-cloudwatch-agent.deb", timeout=5)
        assert missing.value.code == 404
    finally:
        process.terminate()
        process.wait(timeout=10)
