"""The cloudwatch_agent role checks what it needs before its first change, and its errors name its variables.

A bucket or mirror that does not answer, a package it does not have, a package file that is not there, a host
whose instance id is unknown: each fails the run before IAM is touched, with a message naming the role variable
to change and its value. An error inside iamkit.ec2.instance_role (a policy that does not exist) names the agent
role's variable, not instance_role's or the module option. AWS is read with boto3 before and after: unchanged,
and no write reached it.

The hosts are this machine under inventory names (local connection). The role runs for real here only where it
fails before installing anything; a dead or empty mirror makes sure it cannot get as far as installing.
"""

import functools
import http.server
import threading

import pytest

from tests.integration.role_runs import NO_METADATA
from tests.integration.role_runs import aws_play
from tests.integration.role_runs import aws_snapshot
from tests.integration.role_runs import launch
from tests.integration.role_runs import run_play
from tests.support.ansible_cli import write_calls

ROLE = "iamkit-agent-preconditions"
# Nothing listens there (loopback only).
DEAD_MIRROR = "http://127.0.0.1:9"
ON_EC2 = "cloudwatch_agent_instance_id"


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def empty_mirror(tmp_path):
    """A web server on loopback with nothing in it: every package and version file is a 404."""
    root = tmp_path / "mirror"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def agent_play(tmp_path, **role_vars):
    return aws_play("cloudwatch_agent", "all", "iamkit.ec2.cloudwatch_agent", dict({
        "cloudwatch_agent_iam_role_name": ROLE, "cloudwatch_agent_metadata_url": NO_METADATA,
        "cloudwatch_agent_controller_cache": str(tmp_path / "cache"), "instance_role_wait_timeout": 30}, **role_vars))


def package_file(tmp_path, with_signature=True):
    folder = tmp_path / "package"
    folder.mkdir()
    names = ["amazon-cloudwatch-agent.deb"] + (
        ["amazon-cloudwatch-agent.deb.sig", "amazon-cloudwatch-agent.gpg"] if with_signature else [])
    for name in names:
        (folder / name).write_bytes(b"a stand-in: the run fails before reading it")
    return folder / names[0]


def assert_refused_before_any_change(done, embedded_aws, before, words):
    assert done.returncode != 0, done.stdout[-3000:]
    message = done.failures()[-1] if done.failures() else ""
    for word in words:
        assert word in " ".join(done.failures()), done.failures()
    assert message, done.stdout[-3000:]
    assert write_calls(embedded_aws) == []
    assert aws_snapshot(embedded_aws) == before


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
def test_a_mirror_that_does_not_answer_is_named_before_iam_changes(tmp_path, embedded_aws, check_mode):
    [instance_id] = launch(embedded_aws)
    before = aws_snapshot(embedded_aws)
    done = run_play(tmp_path, embedded_aws, agent_play(tmp_path), {"web1": {ON_EC2: instance_id}},
                    ["cloudwatch_agent_download_base_url=" + DEAD_MIRROR], check_mode=check_mode)
    assert_refused_before_any_change(done, embedded_aws, before, [
        'cloudwatch_agent_download_base_url="%s"' % DEAD_MIRROR, DEAD_MIRROR + "/info/latest/CWAGENT_VERSION",
        "cloudwatch_agent_package_file", "Nothing was changed"])


@pytest.mark.parametrize("version", ["latest", "1.300064.0"])
def test_a_mirror_without_the_package_is_named_with_the_version_before_iam_changes(tmp_path, embedded_aws,
                                                                                   empty_mirror, version):
    [instance_id] = launch(embedded_aws)
    before = aws_snapshot(embedded_aws)
    done = run_play(tmp_path, embedded_aws, agent_play(tmp_path), {"web1": {ON_EC2: instance_id}},
                    ["cloudwatch_agent_download_base_url=" + empty_mirror, "cloudwatch_agent_version=" + version])
    assert_refused_before_any_change(done, embedded_aws, before, [
        "answered 404", 'cloudwatch_agent_download_base_url="%s"' % empty_mirror,
        'cloudwatch_agent_version="%s"' % version])


def test_a_package_file_without_its_signature_is_named_before_iam_changes(tmp_path, embedded_aws):
    [instance_id] = launch(embedded_aws)
    given = package_file(tmp_path, with_signature=False)
    before = aws_snapshot(embedded_aws)
    done = run_play(tmp_path, embedded_aws, agent_play(tmp_path), {"web1": {ON_EC2: instance_id}},
                    ["cloudwatch_agent_package_file=" + str(given)])
    assert_refused_before_any_change(done, embedded_aws, before, [
        "cloudwatch_agent_package_file=" + str(given), str(given) + ".sig", "cloudwatch_agent_verify_signature"])


def test_a_host_without_an_instance_id_stops_the_whole_play_before_iam_changes(tmp_path, embedded_aws):
    [instance_id] = launch(embedded_aws)
    given = package_file(tmp_path)
    hosts = {"web1": {"cloudwatch_agent_instance_id": instance_id}, "web2": {}}
    before = aws_snapshot(embedded_aws)
    done = run_play(tmp_path, embedded_aws, agent_play(tmp_path, cloudwatch_agent_package_file=str(given)), hosts)
    assert_refused_before_any_change(done, embedded_aws, before, [
        "no instance id for web2", "cloudwatch_agent_instance_id", "cloudwatch_agent_metadata_url=" + NO_METADATA,
        "cloudwatch_agent changed nothing: web2"])
    assert done.stats["web1"]["failures"] == 1, done.stats


def test_an_instance_role_error_names_the_agent_variable(tmp_path, embedded_aws):
    [instance_id] = launch(embedded_aws)
    given = package_file(tmp_path)
    play = agent_play(tmp_path, cloudwatch_agent_package_file=str(given),
                      cloudwatch_agent_iam_extra_policies=["NoSuchPolicy"])
    before = aws_snapshot(embedded_aws)
    done = run_play(tmp_path, embedded_aws, play, {"web1": {"cloudwatch_agent_instance_id": instance_id}})
    assert_refused_before_any_change(done, embedded_aws, before, ["NoSuchPolicy"])
    last = done.failures()[-1]
    assert last.startswith("cloudwatch_agent_iam_extra_policies: no policy named 'NoSuchPolicy'"), last
    assert 'cloudwatch_agent_iam_extra_policies=["NoSuchPolicy"]' in last, last
    assert "instance_role_managed_policies" not in last, last
