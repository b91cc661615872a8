#!/usr/bin/env python
"""AWS's public endpoint names inside the test world's hosts, answered by a TLS front of the embedded AWS.

    python -m tests.support.aws_names serve --address 127.a.b.c --port 443 --cert C --key K \\
        --backend http://127.0.0.1:PORT --state FILE                      # serve until SIGTERM

Some calls of the real CloudWatch agent have no endpoint setting (the config downloader's SSM GetParameter,
STS AssumeRole behind `credentials.role_arn`, EC2 DescribeTags/DescribeVolumes): it dials the public names,
over HTTPS on port 443. There is no DNS to the internet here and no test traffic may leave loopback, so each
host container gets /etc/hosts entries (podman --add-host) sending those names to a loopback address of its
world, where this front terminates TLS with a certificate from a CA the tests make, and pipes the bytes to
moto's plain HTTP server. moto routes by the Host header and the SigV4 credential scope, so the front needs
no HTTP parsing. The hosts trust the CA through SSL_CERT_FILE (Go's crypto/x509 and OpenSSL) and
AWS_CA_BUNDLE (aws-sdk-go, botocore).
"""

import argparse
import asyncio
import datetime
import ipaddress
import json
import os
import signal
import ssl
import sys
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID

from tests.support.locks import exclusive

# Where a host container finds the CA (bind-mounted read-only).
CA_IN_HOST = "/etc/iamkit-world/aws-ca.pem"
VALIDITY = datetime.timedelta(days=3650)


def aws_host_names(region):
    """The names the agent dials without an endpoint setting, plus CloudWatch's own (metrics and logs)."""
    return ["sts.amazonaws.com", "sts.%s.amazonaws.com" % region, "ssm.%s.amazonaws.com" % region,
            "ec2.%s.amazonaws.com" % region, "monitoring.%s.amazonaws.com" % region,
            "logs.%s.amazonaws.com" % region]


def front_address(label):
    """127.a.b.c from a world's label (8 hex digits). Worlds running at once each listen on port 443, so each
    needs its own address; 127.0.0.0/24 (127.0.0.1 and its neighbours) stays free for everything else, and
    0 and 255 are avoided in the last byte, so the address never looks like a network or broadcast."""
    if len(label) != 8 or not all(char in "0123456789abcdefABCDEF" for char in label):
        raise ValueError("a world's label is 8 hex digits, not %r" % label)
    value = bytes.fromhex(label)
    return "127.%d.%d.%d" % (1 + value[0] % 254, value[1], 1 + (value[2] ^ value[3]) % 254)


# --------------------------------------------------------------------------------------------- certificates

def write_private(path, data):
    """Write a key atomically, readable by its owner only from the first byte on."""
    tmp = path + ".tmp"
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def write_public(path, data):
    """Write a certificate atomically, readable by all: the agent may run as a user other than root."""
    with open(path + ".tmp", "wb") as handle:
        handle.write(data)
    os.chmod(path + ".tmp", 0o644)
    os.replace(path + ".tmp", path)


def subject_names(names):
    """SAN entries: DNS names, and IP addresses for entries that are addresses (to connect by address)."""
    entries = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return entries


def certificate(subject, public_key, issuer, signing_key, extensions):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + VALIDITY))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signing_key, hashes.SHA256())


def make_ca(ca_pem, ca_key):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "iamkit.ec2 test world AWS CA")])
    usage = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False)
    cert = certificate(name, key.public_key(), name, key, [
        (x509.BasicConstraints(ca=True, path_length=0), True), (usage, True),
        (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)])
    write_private(ca_key, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    write_public(ca_pem, cert.public_bytes(serialization.Encoding.PEM))


def make_server_certificate(ca_pem, ca_key, cert_pem, key_pem, names):
    ca = x509.load_pem_x509_certificate(open(ca_pem, "rb").read())
    ca_private = serialization.load_pem_private_key(open(ca_key, "rb").read(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    # Go ignores the common name; the SAN carries the names. The CN only makes the certificate readable.
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    cert = certificate(subject, key.public_key(), ca.subject, ca_private, [
        (x509.SubjectAlternativeName(subject_names(names)), False),
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_private.public_key()), False)])
    write_private(key_pem, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    write_public(cert_pem, cert.public_bytes(serialization.Encoding.PEM))


def pair_in_place(cert_pem, key_pem):
    """The certificate when it and its key are both there and belong together (an interrupted run may have
    replaced one of them), else None."""
    if not (os.path.exists(cert_pem) and os.path.exists(key_pem)):
        return None
    cert = x509.load_pem_x509_certificate(open(cert_pem, "rb").read())
    key = serialization.load_pem_private_key(open(key_pem, "rb").read(), password=None)
    raw = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert if cert.public_key().public_bytes(*raw) == key.public_key().public_bytes(*raw) else None


def certificate_fits(cert, names):
    """True when the server certificate names exactly these and stays valid for at least a day."""
    present = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    remaining = cert.not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)
    return set(present) == set(subject_names(names)) and remaining > datetime.timedelta(days=1)


def make_certificates(folder, names):
    """(ca_pem, cert_pem, key_pem) in folder: a CA and a server certificate for names, signed by it. What is
    there already is kept (hosts already trust that CA); the server certificate is remade when names change."""
    os.makedirs(folder, exist_ok=True)
    paths = {part: os.path.join(folder, "aws-%s.pem" % part) for part in ("ca", "ca-key", "cert", "key")}
    with exclusive(os.path.join(folder, "aws-certificates.lock")):
        if pair_in_place(paths["ca"], paths["ca-key"]) is None:
            make_ca(paths["ca"], paths["ca-key"])
            if os.path.exists(paths["cert"]):
                os.remove(paths["cert"])  # signed by the CA just replaced
        server = pair_in_place(paths["cert"], paths["key"])
        if server is None or not certificate_fits(server, names):
            make_server_certificate(paths["ca"], paths["ca-key"], paths["cert"], paths["key"], list(names))
    return paths["ca"], paths["cert"], paths["key"]


# --------------------------------------------------------------------------------------------- the front

async def pipe(reader, writer, half_close):
    """Copy bytes until EOF; then half-close the other side (plain TCP) or close it (TLS has no half-close)."""
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass  # a peer went away; closing below ends the other direction too
    finally:
        if half_close and not writer.is_closing():
            try:
                writer.write_eof()
            except OSError:
                writer.close()
        else:
            writer.close()


async def forward(client_reader, client_writer, backend_host, backend_port):
    """One TLS connection: bytes from the client go to moto, moto's answers go back."""
    try:
        backend_reader, backend_writer = await asyncio.open_connection(backend_host, backend_port)
    except OSError:
        client_writer.close()
        return
    try:
        await asyncio.gather(pipe(client_reader, backend_writer, half_close=True),
                             pipe(backend_reader, client_writer, half_close=False))
    except asyncio.CancelledError:
        pass  # the front is stopping: end the connection quietly, not with a traceback per open connection
    finally:
        backend_writer.close()
        client_writer.close()


def write_state(state_path, state):
    with open(state_path + ".tmp", "w") as handle:
        json.dump(state, handle)
    os.replace(state_path + ".tmp", state_path)


def quiet_about_refused_handshakes(loop, context):
    """A client that does not trust the CA aborts the handshake: expected, and no reason for a traceback."""
    if not isinstance(context.get("exception"), (ssl.SSLError, ConnectionError)):
        loop.default_exception_handler(context)


async def run_front(address, port, cert, key, backend_host, backend_port, state_path):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = await asyncio.start_server(lambda r, w: forward(r, w, backend_host, backend_port), address, port,
                                        ssl=context, reuse_address=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.set_exception_handler(quiet_about_refused_handshakes)
    write_state(state_path, {"address": address, "port": server.sockets[0].getsockname()[1], "pid": os.getpid(),
                             "backend": "http://%s:%d" % (backend_host, backend_port)})
    await stop.wait()
    server.close()


def serve(address, port, cert, key, backend_host, backend_port, state_path):
    """Listen on address:port with TLS until SIGTERM/SIGINT; the state file (address, port, pid) appears once
    it listens. Port 443 needs root (or CAP_NET_BIND_SERVICE)."""
    asyncio.run(run_front(address, port, cert, key, backend_host, backend_port, state_path))


def front_command(address, port, cert, key, backend, state_path):
    """The command line that runs the front in its own process (cwd: the repository root)."""
    return [sys.executable, "-m", "tests.support.aws_names", "serve", "--address", address, "--port", str(port),
            "--cert", cert, "--key", key, "--backend", backend, "--state", state_path]


def host_options(ca_pem, address, region):
    """(podman run arguments, environment entries) for a host container: the names resolve to the front's
    address in the container's /etc/hosts only (the machine's is untouched, host networking or not), and the
    container's programs trust the CA. The entries belong in systemd's DefaultEnvironment too: the agent is a
    service and does not inherit the container's environment."""
    podman_args = []
    for name in aws_host_names(region):
        podman_args += ["--add-host", "%s:%s" % (name, address)]
    podman_args += ["--volume", "%s:%s:ro" % (os.path.abspath(ca_pem), CA_IN_HOST)]
    return podman_args, ["SSL_CERT_FILE=%s" % CA_IN_HOST, "AWS_CA_BUNDLE=%s" % CA_IN_HOST]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--address", required=True, help="loopback address to listen on (front_address)")
    parser.add_argument("--port", type=int, default=443)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--backend", required=True, help="the embedded AWS, http://127.0.0.1:PORT")
    parser.add_argument("--state", required=True, help="state file (address, port, pid)")
    args = parser.parse_args(argv)
    backend = urllib.parse.urlsplit(args.backend)
    serve(args.address, args.port, args.cert, args.key, backend.hostname, backend.port or 80, args.state)


if __name__ == "__main__":
    main()
