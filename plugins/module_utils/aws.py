# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection a module's calls go through: boto3 clients with the collection's retry policy, made on
first use, the clock for eventual-consistency waits, and who the caller is."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import threading

try:
    import botocore.config
except ImportError:  # the import sanity test runs without botocore; AnsibleAWSModule reports it
    botocore = None

from ansible_collections.iamkit.ec2.plugins.module_utils.retry import Clock

# botocore owns throttling and 5xx retries. "standard" mode retries them with jittered backoff;
# "adaptive" adds client-side rate limiting, used for bulk writes. Anything the user passes in
# aws_config is merged after this by amazon.aws, so the user's choice wins.
STANDARD_RETRIES = {"mode": "standard", "max_attempts": 10}
ADAPTIVE_RETRIES = {"mode": "adaptive", "max_attempts": 10}


def module_client_factory(module, actions=None):
    """make(service, bulk_writes) -> a boto3 client from AnsibleAWSModule's connection settings. When
    `actions` (a set) is given, every call the clients make adds "<service>:<Operation>" to it."""
    use_awx_security_token(module)

    def make(service, bulk_writes=False):
        retries = ADAPTIVE_RETRIES if bulk_writes else STANDARD_RETRIES
        client = module.client(service, config=botocore.config.Config(retries=dict(retries)))
        if actions is not None:
            client.meta.events.register("before-call", record_action_into(actions))
        return client

    return make


def record_action_into(actions):
    """A botocore before-call handler naming each call as IAM policies and `resource_actions` name it."""

    def record(model, **_kwargs):
        actions.add("%s:%s" % (model.service_model.endpoint_prefix, model.name))

    return record


def take_resource_actions(module, actions):
    """The `resource_actions` of a task run with debug_botocore_endpoint_logs, or {} without it.

    amazon.aws reads the service from the host name in botocore's endpoint log (https://iam.amazonaws.com),
    so with an endpoint_url (a VPC endpoint, a private or local endpoint) its list is empty or wrong; the
    calls recorded by record_action_into are right for any endpoint. Turning the option off at exit keeps
    AnsibleAWSModule from overwriting this list with its own."""
    if not module.params.get("debug_botocore_endpoint_logs"):
        return {}
    module.params["debug_botocore_endpoint_logs"] = False
    return {"resource_actions": sorted(actions)}


class Connection:
    """Clients made on first use (creating one parses the service's model, and EC2's is large: a no-op run
    should not pay for clients only its writes would use), shared by the threads of a bulk apply."""

    def __init__(self, make_client, region=None, clock=None):
        self._make_client = make_client
        self._clients = {}
        self._lock = threading.Lock()
        self._identity = None
        self.region = region
        self.clock = clock or Clock()

    def client(self, service, bulk_writes=False):
        key = (service, bulk_writes)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._make_client(service, bulk_writes)
        return self._clients[key]

    @property
    def iam(self):
        return self.client("iam")

    @property
    def ec2(self):
        return self.client("ec2")

    @property
    def ec2_writes(self):
        """EC2 with adaptive rate limiting, for writes made from a pool at the rate EC2 allows."""
        return self.client("ec2", bulk_writes=True)

    def identity(self, known_arn=None):
        """(partition, account id) of the caller: from an ARN already read when given, else one STS call."""
        if known_arn:
            parts = known_arn.split(":")
            return parts[1], parts[4]
        if self._identity is None:
            parts = self.client("sts").get_caller_identity()["Arn"].split(":")
            self._identity = (parts[1], parts[4])
        return self._identity


def use_awx_security_token(module):
    """AWX's "Amazon Web Services" credential hands an STS token over as AWS_SECURITY_TOKEN, while amazon.aws
    reads only AWS_SESSION_TOKEN: without this, temporary keys from AWX are refused as an invalid token."""
    params = module.params
    if params.get("session_token") or params.get("profile"):
        return
    token = os.environ.get("AWS_SECURITY_TOKEN")
    if token:
        params["session_token"] = token


def warn(module, message):
    """A warning in the task's result. AnsibleAWSModule.warn also re-sends its warnings through exit_json,
    which ansible-core 2.19 reports as deprecated; the plain AnsibleModule's warn reaches the result alone."""
    getattr(module, "_module", module).warn(message)
