"""Fixtures of the ecosystem layer: the collection as users get it (built tarball, installed offline next to
amazon.aws), one embedded AWS for the layer, and the environment ansible commands run in.

tests/conftest.py (one level up) already puts tests/harness on sys.path; this folder goes there too, for
ecosystem_support.
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from ecosystem_support import ROOT  # noqa: E402
from ecosystem_support import VERSION  # noqa: E402
from ecosystem_support import amazon_aws_path  # noqa: E402
from ecosystem_support import clean_env  # noqa: E402
from ecosystem_support import run  # noqa: E402
from ecosystem_support import tool  # noqa: E402
from embedded_aws import EmbeddedAWS  # noqa: E402

# Make the embedded AWS answer as AWS does where moto differs (see tests/harness/aws_fidelity.py).
EXTENSIONS = ["aws_fidelity"]


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory):
    """An ansible_collections tree holding the built tarball of this checkout, installed offline, with the
    amazon.aws of the `ansible` package beside it (as an execution environment has them)."""
    tmp = tmp_path_factory.mktemp("collection")
    env = clean_env(tmp)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(tmp / "none")
    run([tool("ansible-galaxy"), "collection", "build", ROOT, "--output-path", str(tmp / "build")], env=env)
    tarball = str(tmp / "build" / ("iamkit-ec2-%s.tar.gz" % VERSION))
    target = tmp / "collections"
    run([tool("ansible-galaxy"), "collection", "install", tarball, "-p", str(target), "--offline", "--no-deps"],
        env=env)
    amazon = target / "ansible_collections" / "amazon"
    amazon.mkdir(parents=True, exist_ok=True)
    os.symlink(amazon_aws_path(), str(amazon / "aws"))
    return str(target)


@pytest.fixture(scope="session")
def embedded_aws(tmp_path_factory):
    state = str(tmp_path_factory.mktemp("aws") / "aws.json")
    aws = EmbeddedAWS.start(state, extensions=EXTENSIONS)
    yield aws
    aws.stop()


@pytest.fixture
def ansible_env(collections_path, embedded_aws, tmp_path):
    """Environment of an ansible command that reaches the embedded AWS through AWS_* variables only
    (credentials, region and AWS_URL, the endpoint variable amazon.aws reads)."""
    embedded_aws.reset()
    env = clean_env(tmp_path)
    env["ANSIBLE_COLLECTIONS_PATH"] = collections_path
    env.update(embedded_aws.env())
    return env
