"""Fixtures of the world layer's agent tests: one world host outside EC2 per test module (modules run on
workers of their own, `--dist loadfile`), and the IAM user whose keys its agent uses."""

import pytest

from tests.support.system_packages import install_world_packages
from tests.support.world import World

AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
USER = "iamkit-world-run-as-user"


@pytest.fixture(scope="module")
def on_premise_world(tmp_path_factory):
    """One world host that is a server outside EC2, for this module."""
    install_world_packages()
    lines = []
    handle = World(str(tmp_path_factory.mktemp("world")))
    handle.up(hosts=1, log=lines.append, on_premise=True)
    print("\n".join(lines))
    yield handle
    handle.down()


@pytest.fixture(scope="module")
def agent_keys(on_premise_world):
    """An IAM user allowed what the agent needs, and its access key (made with the admin's keys)."""
    iam = on_premise_world.aws.client("iam")
    iam.create_user(UserName=USER)
    iam.attach_user_policy(UserName=USER, PolicyArn=AGENT_POLICY)
    key = iam.create_access_key(UserName=USER)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]
