"""Fixtures of the ecosystem layer: the collection as users get it (built tarball, installed offline next to
amazon.aws), and the environment ansible commands run in, reaching the session's embedded AWS."""

import os

import pytest

from tests.support.ansible_cli import amazon_aws_path
from tests.support.ansible_cli import aws_env
from tests.support.ansible_cli import clean_env
from tests.support.ansible_cli import run
from tests.support.paths import ROOT
from tests.support.paths import collection_version
from tests.support.paths import tool


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory):
    """An ansible_collections tree holding the built tarball of this checkout, installed offline, with the
    amazon.aws of the `ansible` package beside it (as an execution environment has them)."""
    tmp = tmp_path_factory.mktemp("collection")
    env = clean_env(tmp, collections_path=str(tmp / "none"))
    run([tool("ansible-galaxy"), "collection", "build", ROOT, "--output-path", str(tmp / "build")], env=env)
    tarball = str(tmp / "build" / ("iamkit-ec2-%s.tar.gz" % collection_version()))
    target = tmp / "collections"
    run([tool("ansible-galaxy"), "collection", "install", tarball, "-p", str(target), "--offline", "--no-deps"],
        env=env)
    amazon = target / "ansible_collections" / "amazon"
    amazon.mkdir(parents=True, exist_ok=True)
    os.symlink(amazon_aws_path(), str(amazon / "aws"))
    return str(target)


@pytest.fixture
def ansible_env(collections_path, embedded_aws, tmp_path):
    """Environment of an ansible command that reaches the embedded AWS (wiped first) through AWS_* variables
    only (credentials, region and AWS_URL, the endpoint variable amazon.aws reads)."""
    embedded_aws.reset()
    return aws_env(tmp_path, embedded_aws, collections_path)
