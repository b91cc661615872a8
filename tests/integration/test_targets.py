"""Runs every integration target (tests/integration/targets/<name>) with ansible-playbook against the
embedded AWS server; a target passes when its playbook does (its own asserts check the outcomes)."""

import os
import subprocess
import sys

import pytest
from embedded_aws import EmbeddedAWS

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TARGETS = os.path.join(HERE, "targets")
# Targets that are helpers for the others, not tests of their own.
HELPERS = {"setup_call_log"}
# Extensions of the embedded AWS that make it answer as AWS does where moto differs (see each module).
EXTENSIONS = ["aws_fidelity", "faults"]


def target_names():
    return sorted(name for name in os.listdir(TARGETS) if name not in HELPERS and not name.startswith("."))


@pytest.fixture(scope="session")
def embedded_aws(tmp_path_factory):
    state = str(tmp_path_factory.mktemp("aws") / "aws.json")
    aws = EmbeddedAWS.start(state, extensions=EXTENSIONS)
    yield aws
    aws.stop()


def ami_id(aws):
    return aws.client("ec2").describe_images(Owners=["amazon"])["Images"][0]["ImageId"]


@pytest.mark.parametrize("target", target_names())
def test_target(target, embedded_aws, tmp_path):
    env = dict(os.environ)
    env.update(embedded_aws.env())
    env["ANSIBLE_ROLES_PATH"] = TARGETS
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(ROOT, "tests", "output", "collections")
    env["ANSIBLE_LOCAL_TEMP"] = str(tmp_path / "tmp")
    env["ANSIBLE_NOCOLOR"] = "1"
    command = [
        os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
        os.path.join(HERE, "run_target.yml"),
        "-i", "localhost,",
        "-e", "target=%s" % target,
        "-e", "aws_endpoint_url=%s" % embedded_aws.endpoint,
        "-e", "aws_calls_url=%s/_iamkit/calls" % embedded_aws.endpoint,
        "-e", "ec2_ami_id=%s" % ami_id(embedded_aws),
        "-e", "resource_prefix_override=iamkit-%s" % target.replace("_", "-"),
        "-e", "ansible_python_interpreter=%s" % sys.executable,
    ]
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=1200, check=False)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
