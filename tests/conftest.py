"""Shared pytest set-up: import paths, moto in-process, running a module's main() and counting API calls.

The collection is imported as ansible_collections.iamkit.ec2 through a symlinked tree under tests/output
(plain pytest needs no real tree; ansible-test sanity gets a real copy, see tests/sanity/run.sh).
"""

import io
import json
import os
import sys
from contextlib import contextmanager
from contextlib import redirect_stdout
from unittest import mock

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, "tests", "output", "collections")
HARNESS = os.path.join(ROOT, "tests", "harness")
SHARED = os.environ.get("IAMKIT_SHARED_DIR", os.path.join(os.path.dirname(ROOT), "shared"))


def _link_collection():
    link = os.path.join(COLLECTIONS, "ansible_collections", "iamkit", "ec2")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)


_link_collection()
# tests/ itself too, so test modules can import helpers from this file (`from conftest import run_module`).
for path in (COLLECTIONS, HARNESS, os.path.dirname(os.path.abspath(__file__))):
    if path not in sys.path:
        sys.path.insert(0, path)

REGION = "us-east-1"


def _share_botocore_model_files():
    """Every module run makes new boto3 sessions, and each parses the service JSON again (about 0.15 s
    per client). Tests run many modules in one process, so parsed files are shared between sessions;
    botocore treats the loaded models as read-only."""
    import functools

    from botocore import loaders

    original = loaders.JSONFileLoader.load_file
    if getattr(original, "_iamkit_shared", False):
        return
    parsed = functools.lru_cache(maxsize=None)(lambda path: original(loaders.JSONFileLoader(), path))

    def load_file(self, file_path):
        return parsed(file_path)

    load_file._iamkit_shared = True
    loaders.JSONFileLoader.load_file = load_file


_share_botocore_model_files()


def shared_file(relative):
    """Path of a reference file in ../shared; fail under CI=true when missing, skip elsewhere naming it."""
    path = os.path.join(SHARED, relative)
    if not os.path.exists(path):
        message = "reference file missing: %s (set IAMKIT_SHARED_DIR)" % path
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


class CallLog:
    """Records every botocore API call made in this process: (service, operation, params)."""

    def __init__(self):
        self.calls = []

    @property
    def actions(self):
        return [operation for _service, operation, _params in self.calls]

    @property
    def writes(self):
        from embedded_aws import is_write

        return [action for action in self.actions if is_write(action)]

    def clear(self):
        self.calls = []


@contextmanager
def record_calls():
    from botocore.client import BaseClient

    log = CallLog()
    original = BaseClient._make_api_call

    def recording(client, operation, params):
        log.calls.append((client.meta.service_model.service_name, operation, params))
        return original(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", recording):
        yield log


@pytest.fixture
def aws():
    """moto in-process with AWS managed policies; yields a factory of boto3 clients."""
    import boto3
    from moto import mock_aws

    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}
    with mock.patch.dict(os.environ, env), mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        yield lambda service: boto3.client(service, region_name=REGION)


# The trust policy most tests need: EC2 may assume the role.
EC2_TRUST_JSON = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})


def make_role(iam, name, path="/"):
    """A role EC2 may assume, made directly with boto3 (test set-up, not the module under test)."""
    return iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=EC2_TRUST_JSON)["Role"]


@pytest.fixture
def iam(aws):
    return aws("iam")


@pytest.fixture
def ec2(aws):
    return aws("ec2")


@pytest.fixture
def calls():
    with record_calls() as log:
        yield log


def run_module(module, args, check_mode=False, diff=False):
    """Run plugins/modules/<module>.py main() in this process; return its result dict.

    `failed` is set in the result when the module called fail_json.
    """
    import importlib

    from ansible.module_utils.testing import patch_module_args

    module_args = dict(region=REGION)
    module_args.update(args)
    module_args["_ansible_check_mode"] = check_mode
    module_args["_ansible_diff"] = diff
    target = importlib.import_module("ansible_collections.iamkit.ec2.plugins.modules.%s" % module)
    output = io.StringIO()
    with patch_module_args(module_args), redirect_stdout(output):
        with pytest.raises(SystemExit):
            target.main()
    return json.loads(output.getvalue())


@pytest.fixture
def module_runner(aws, calls):
    """run(module, args, check_mode=False, diff=False) -> result, with the call log cleared before each run."""

    def run(module, args, check_mode=False, diff=False):
        calls.clear()
        return run_module(module, args, check_mode=check_mode, diff=diff)

    return run
