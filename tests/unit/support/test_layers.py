"""tests/support/layers.py (make test): layers one by one stop at the first failure; layers together run at the
same time, each output shown whole once, and a failure among them fails the run. Layers here are shell
scripts standing in for `make <layer>`."""

import re

import pytest

from tests.support import layers

SCRIPTS = {
    # "waits" ends only once "starts" has begun: it can pass only when both run at the same time.
    "waits": "for i in $(seq 300); do [ -f starts.began ] && echo waits-output && exit 0; sleep 0.1; done; exit 1",
    "starts": "touch starts.began; echo starts-output",
    "fails": "echo fails-output; exit 3",
    "passes": "echo passes-output",
}


@pytest.fixture
def fake_layers(tmp_path, monkeypatch):
    """make <layer> replaced by the layer's script, run in tmp_path; the logs go there too."""
    monkeypatch.setattr(layers, "make_command", lambda layer: ["sh", "-c", "cd %s && %s" % (tmp_path, SCRIPTS[layer])])
    monkeypatch.setattr(layers, "LOG_DIR", str(tmp_path / "logs"))
    return tmp_path


def test_layers_together_run_at_the_same_time_and_each_output_is_shown_once(fake_layers, capsys):
    assert layers.main(["--together", "waits", "starts"]) == 0
    out = capsys.readouterr().out
    assert out.count("waits-output") == 1 and out.count("starts-output") == 1
    assert out.index("==== make test: layer starts") < out.index("starts-output")
    assert "all layers passed (waits starts)" in out


def test_a_failing_layer_together_fails_the_run_and_the_others_still_finish(fake_layers, capsys):
    assert layers.main(["--together", "fails", "passes"]) == 1
    out = capsys.readouterr().out
    assert "layer 'fails' FAILED" in out and "passes-output" in out
    assert re.search(r"^  fails \d+ s \(FAILED\)$", out, re.M) and re.search(r"^  passes \d+ s$", out, re.M)
    assert "all layers passed" not in out


def test_the_first_failure_one_by_one_stops_the_run(fake_layers, capsys):
    assert layers.main(["--one-by-one", "passes", "fails", "passes", "--together", "starts"]) == 1
    out = capsys.readouterr().out
    assert out.count("==== make test: layer passes") == 1
    assert "layer 'fails' FAILED" in out
    assert not (fake_layers / "starts.began").exists()
