"""The TLS front that answers AWS's public names inside the world's hosts (tests/support/aws_names.py), against
the real embedded AWS (moto server, IAM enforced) and without containers: signed calls pass through it
unchanged, a client that does not trust the test CA is refused, and the certificate covers every name the
hosts send to it. That the hosts' /etc/hosts point those names at the front is the world's part (podman
--add-host); here, the names are resolved to the front's address inside this process only.
"""

import json
import os
import shutil
import socket
import ssl
import stat
import subprocess
import time

import boto3
import botocore.exceptions
import pytest
from cryptography import x509

from tests.support import aws_names
from tests.support.embedded_aws import ROOT
from tests.support.embedded_aws import EmbeddedAWS

LABEL = "0123abcd"
REGION = "us-east-1"


def free_port_on(address):
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    server = EmbeddedAWS.start(str(tmp_path_factory.mktemp("aws") / "aws.json"), enforce_iam=True)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    names = aws_names.aws_host_names(REGION) + [aws_names.front_address(LABEL)]
    return aws_names.make_certificates(str(tmp_path_factory.mktemp("certificates")), names)


@pytest.fixture(scope="module")
def front(aws, certificates, tmp_path_factory):
    """The front in its own process, as the world runs it, on a free high port (443 is the world's)."""
    address = aws_names.front_address(LABEL)
    folder = tmp_path_factory.mktemp("front")
    state_path, log_path = str(folder / "front.json"), str(folder / "front.log")
    cert, key = certificates[1], certificates[2]
    command = aws_names.front_command(address, free_port_on(address), cert, key, aws.endpoint, state_path)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 20
    while not os.path.exists(state_path):
        assert process.poll() is None, open(log_path).read()
        assert time.monotonic() < deadline, "the front did not start: " + open(log_path).read()
        time.sleep(0.05)
    state = json.load(open(state_path))
    yield state
    process.terminate()  # SIGTERM, as the world stops it: a clean exit
    assert process.wait(timeout=10) == 0, open(log_path).read()


@pytest.fixture
def names_resolve_to_the_front(front, monkeypatch):
    """What --add-host does for a host container, for this process: AWS's names resolve to the front."""
    real = socket.getaddrinfo
    names = set(aws_names.aws_host_names(REGION))

    def getaddrinfo(host, *args, **kwargs):
        return real(front["address"] if host in names else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def client(aws, service, endpoint_url, verify):
    return boto3.client(service, endpoint_url=endpoint_url, verify=verify, region_name=REGION,
                        aws_access_key_id=aws.access_key, aws_secret_access_key=aws.secret_key)


def test_front_address_is_its_own_per_world_and_off_the_usual_loopback():
    address = aws_names.front_address(LABEL)
    assert address == aws_names.front_address(LABEL)
    assert address.startswith("127.") and not address.startswith("127.0.0.")
    others = {aws_names.front_address("%08x" % (number * 2654435761 % 2 ** 32)) for number in range(2000)}
    assert len(others) == 2000
    assert not any(other.startswith("127.0.0.") or other.endswith((".0", ".255")) for other in others)
    with pytest.raises(ValueError):
        aws_names.front_address("not-hex!")


def test_signed_calls_pass_through_the_front_with_tls_verified(aws, front, certificates):
    ca_pem = certificates[0]
    url = "https://%s:%d" % (front["address"], front["port"])
    assert client(aws, "sts", url, ca_pem).get_caller_identity()["Account"] == aws.account_id
    ssm = client(aws, "ssm", url, ca_pem)
    ssm.put_parameter(Name="AmazonCloudWatch-test-front", Value='{"agent": {}}', Type="String", Overwrite=True)
    assert ssm.get_parameter(Name="AmazonCloudWatch-test-front")["Parameter"]["Value"] == '{"agent": {}}'


def test_aws_names_route_through_the_front(aws, front, certificates, names_resolve_to_the_front):
    """By name, as the agent calls: SNI and hostname checked against the certificate, moto routing by Host."""
    ca_pem = certificates[0]
    for name in ("sts.amazonaws.com", "sts.%s.amazonaws.com" % REGION):
        sts = client(aws, "sts", "https://%s:%d" % (name, front["port"]), ca_pem)
        assert sts.get_caller_identity()["Account"] == aws.account_id
    ssm = client(aws, "ssm", "https://ssm.%s.amazonaws.com:%d" % (REGION, front["port"]), ca_pem)
    ssm.put_parameter(Name="AmazonCloudWatch-by-name", Value="{}", Type="String", Overwrite=True)
    assert ssm.get_parameter(Name="AmazonCloudWatch-by-name")["Parameter"]["Value"] == "{}"
    ec2 = client(aws, "ec2", "https://ec2.%s.amazonaws.com:%d" % (REGION, front["port"]), ca_pem)
    assert ec2.describe_tags()["Tags"] == []


def test_a_client_that_does_not_trust_the_test_ca_is_refused(aws, front):
    url = "https://%s:%d" % (front["address"], front["port"])
    with pytest.raises(botocore.exceptions.SSLError):
        client(aws, "sts", url, True).get_caller_identity()  # the system's (certifi's) trust store
    with pytest.raises(ssl.SSLCertVerificationError):
        with socket.create_connection((front["address"], front["port"]), timeout=5) as sock:
            ssl.create_default_context().wrap_socket(sock, server_hostname="sts.amazonaws.com").close()


def test_the_certificate_names_every_aws_host(front, certificates):
    ca_pem, cert_pem = certificates[0], certificates[1]
    listed = x509.load_pem_x509_certificate(open(cert_pem, "rb").read()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert set(aws_names.aws_host_names(REGION)) <= set(listed)
    context = ssl.create_default_context(cafile=ca_pem)
    for name in aws_names.aws_host_names(REGION) + ["s3.amazonaws.com"]:
        with socket.create_connection((front["address"], front["port"]), timeout=5) as sock:
            if name.startswith("s3."):  # a name the front does not answer for
                with pytest.raises(ssl.SSLCertVerificationError):
                    context.wrap_socket(sock, server_hostname=name)
            else:
                context.wrap_socket(sock, server_hostname=name).close()


def test_certificates_are_reused_and_keys_private(certificates):
    ca_pem, cert_pem, key_pem = certificates
    folder = os.path.dirname(ca_pem)
    before = {path: open(path, "rb").read() for path in certificates}
    names = aws_names.aws_host_names(REGION) + [aws_names.front_address(LABEL)]
    assert aws_names.make_certificates(folder, names) == certificates
    assert {path: open(path, "rb").read() for path in certificates} == before
    for key in (key_pem, os.path.join(folder, "aws-ca-key.pem")):
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(ca_pem).st_mode) == 0o644  # the agent may run as another user
    ca = x509.load_pem_x509_certificate(before[ca_pem])
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_host_options_name_every_host_the_ca_and_its_trust():
    address = aws_names.front_address(LABEL)
    podman_args, environment = aws_names.host_options("/tmp/ca.pem", address, REGION)
    added = [podman_args[index + 1] for index, arg in enumerate(podman_args) if arg == "--add-host"]
    assert added == ["%s:%s" % (name, address) for name in aws_names.aws_host_names(REGION)]
    assert podman_args[-2:] == ["--volume", "/tmp/ca.pem:/etc/iamkit-world/aws-ca.pem:ro"]
    assert environment == ["SSL_CERT_FILE=/etc/iamkit-world/aws-ca.pem", "AWS_CA_BUNDLE=/etc/iamkit-world/aws-ca.pem"]


def test_new_names_remake_the_server_certificate_under_the_same_ca(certificates, tmp_path):
    for path in certificates + (os.path.join(os.path.dirname(certificates[0]), "aws-ca-key.pem"),):
        shutil.copy2(path, tmp_path / os.path.basename(path))
    ca_pem, cert_pem, _key = aws_names.make_certificates(str(tmp_path), aws_names.aws_host_names("eu-west-1"))
    assert open(ca_pem, "rb").read() == open(certificates[0], "rb").read()
    assert open(cert_pem, "rb").read() != open(certificates[1], "rb").read()
    cert = x509.load_pem_x509_certificate(open(cert_pem, "rb").read())
    assert "ssm.eu-west-1.amazonaws.com" in cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    ca = x509.load_pem_x509_certificate(open(ca_pem, "rb").read())
    cert.verify_directly_issued_by(ca)
