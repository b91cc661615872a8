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


@contextmanager
def module_args(args):
    """Expose `args` to the AnsibleModule that main() makes within this context, on every ansible-core the
    collection supports: 2.19 brought ansible.module_utils.testing for this; before it, AnsibleModule read
    the arguments from basic._ANSIBLE_ARGS, which is what the older cores' own unit tests patched."""
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:
        from ansible.module_utils import basic

        encoded = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
        with mock.patch.object(basic, "_ANSIBLE_ARGS", encoded):
            yield
        return
    with patch_module_args(args):
        yield


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

    arguments = dict(region=REGION)
    arguments.update(args)
    arguments["_ansible_check_mode"] = check_mode
    arguments["_ansible_diff"] = diff
    target = importlib.import_module("ansible_collections.iamkit.ec2.plugins.modules.%s" % module)
    output = io.StringIO()
    with module_args(arguments), redirect_stdout(output):
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
