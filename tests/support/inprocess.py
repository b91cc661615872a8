"""Running a module's main() in this process, and recording every botocore call it makes."""

import functools
import io
import json
from contextlib import contextmanager
from contextlib import redirect_stdout
from unittest import mock

import pytest

from tests.support.embedded_aws import is_write

REGION = "us-east-1"


def share_botocore_model_files():
    """Every module run makes new boto3 sessions, and each parses the service JSON again (about 0.15 s
    per client). Tests run many modules in one process, so parsed files are shared between sessions;
    botocore treats the loaded models as read-only."""
    from botocore import loaders

    original = loaders.JSONFileLoader.load_file
    if getattr(original, "_iamkit_shared", False):
        return
    parsed = functools.lru_cache(maxsize=None)(lambda path: original(loaders.JSONFileLoader(), path))

    def load_file(self, file_path):
        return parsed(file_path)

    load_file._iamkit_shared = True
    loaders.JSONFileLoader.load_file = load_file


class CallLog:
    """Every botocore API call made in this process: (service, operation, params)."""

    def __init__(self):
        self.calls = []

    @property
    def actions(self):
        return [operation for _service, operation, _params in self.calls]

    @property
    def writes(self):
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


def run_module(module, args, check_mode=False, diff=False, clock=None):
    """Run plugins/modules/<module>.py main() in this process; return its result dict.

    `failed` is set in the result when the module called fail_json. `clock` (now(), sleep()) is the clock of
    the module's retries and waits, for the modules that take one (the AWS modules).
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
            target.main(clock=clock) if clock is not None else target.main()
    return json.loads(output.getvalue())


class InstantClock:
    """A clock for the modules' retries and waits that moves on when they sleep, instead of waiting; it keeps
    what they slept, so a test can say whether (and how long) a module waited."""

    def __init__(self):
        self.elapsed = 0.0
        self.sleeps = []

    def now(self):
        return self.elapsed

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.elapsed += seconds
