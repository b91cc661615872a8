"""The root of the one test package: the collection importable as ansible_collections.iamkit.ec2 (through a
link under tests/output), and the shared fixtures of tests/support/fixtures.py for every layer."""

from tests.support.inprocess import share_botocore_model_files
from tests.support.paths import link_collection

link_collection()
share_botocore_model_files()

pytest_plugins = ["tests.support.fixtures"]
