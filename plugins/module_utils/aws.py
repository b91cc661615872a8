# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Clients with the collection's retry policy, and the glue between module_utils and AnsibleAWSModule."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import threading

try:
    import botocore.config
except ImportError:  # the import sanity test runs without botocore; AnsibleAWSModule reports it
    botocore = None

# botocore owns throttling and 5xx retries. "standard" mode retries them with jittered backoff;
# "adaptive" adds client-side rate limiting, used for bulk writes. Anything the user passes in
# aws_config is merged after this by amazon.aws, so the user's choice wins.
STANDARD_RETRIES = {"mode": "standard", "max_attempts": 10}
ADAPTIVE_RETRIES = {"mode": "adaptive", "max_attempts": 10}


def client(module, service, bulk_writes=False):
    """A boto3 client from AnsibleAWSModule's connection settings with the collection's retry mode."""
    use_awx_security_token(module)
    retries = ADAPTIVE_RETRIES if bulk_writes else STANDARD_RETRIES
    return module.client(service, config=botocore.config.Config(retries=dict(retries)))


class LazyClient:
    """A client made on first use: creating one parses the service's model (EC2's is large), and a no-op
    run of a module should not pay for the clients only its writes would use."""

    def __init__(self, module, service, bulk_writes=False):
        self._args = (module, service, bulk_writes)
        self._client = None
        # Writes run from a thread pool: one lock, so the first ones do not each build a client.
        self._lock = threading.Lock()

    def __getattr__(self, name):
        with self._lock:
            if self._client is None:
                self._client = client(*self._args)
        return getattr(self._client, name)


def use_awx_security_token(module):
    """AWX's "Amazon Web Services" credential hands an STS token over as AWS_SECURITY_TOKEN, while amazon.aws
    reads only AWS_SESSION_TOKEN: without this, temporary keys from AWX are refused as an invalid token."""
    params = module.params
    if params.get("session_token") or params.get("profile"):
        return
    token = os.environ.get("AWS_SECURITY_TOKEN")
    if token:
        params["session_token"] = token


def caller_partition_and_account(sts_client):
    """(partition, account id) of the credentials in use; one STS call."""
    arn = sts_client.get_caller_identity()["Arn"]
    parts = arn.split(":")
    return parts[1], parts[4]


def tags_to_dict(tag_list):
    return dict((t["Key"], t["Value"]) for t in tag_list or [])


def dict_to_tags(tags):
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def plan_tags(current, desired, purge):
    """(tags to set, keys to remove) to reach `desired`; keys starting with aws: are never touched."""
    if desired is None:
        return {}, []
    to_set = dict((k, v) for k, v in desired.items() if current.get(k) != v)
    to_remove = []
    if purge:
        to_remove = sorted(k for k in current if k not in desired and not k.startswith("aws:"))
    return to_set, to_remove


def tags_after(current, to_set, to_remove):
    result = dict((k, v) for k, v in current.items() if k not in to_remove)
    result.update(to_set)
    return result
