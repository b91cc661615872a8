"""Instance metadata (IMDSv2) for the hosts of the test world, served from inside the embedded AWS process.

Loaded by the embedded AWS with `--extension imds`. It adds the control `/_iamkit/imds`:

    POST   {"instance_id": "i-...", "port": 0}   start an endpoint for that instance (0: any free port)
    GET                                          [{"instance_id", "port", "url", "requests"}, ...]
    DELETE {"instance_id": "i-..."} or nothing   stop that endpoint, or all of them

Each endpoint answers as EC2's does for its one instance, reading moto's state on every request:
instance-id, placement, the identity document, and `iam/security-credentials/<role>` only while the
instance has an instance-profile association. The credentials are minted the way EC2 mints them, for the
profile's role, by calling moto's STS backend directly: this is why the endpoint lives in moto's process
(a user may not AssumeRole a role that trusts only ec2.amazonaws.com, and the instance has no keys of its
own). IMDSv1 is refused (401), as on an instance launched with HttpTokens=required.
"""

import datetime
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

from tests.support.embedded_aws import PARTITION

TOKEN_TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
MAX_TOKEN_TTL = 21600
# EC2 hands out role credentials valid for hours and refreshes them well before they expire.
CREDENTIAL_SECONDS = 6 * 3600
REFRESH_MARGIN = 15 * 60


class NotFound(Exception):
    pass


def utc_text(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class InstanceView:
    """What EC2 knows about one instance, read from moto's backends at the time of each request."""

    def __init__(self, instance_id, account_id, region):
        self.instance_id = instance_id
        self.account_id = account_id
        self.region = region
        self.minted = {}
        self.lock = threading.Lock()

    def instance(self):
        from moto.ec2.models import ec2_backends

        return ec2_backends[self.account_id][self.region].get_instance(self.instance_id)

    def profile(self):
        """The instance profile associated with the instance now, or None."""
        from moto.ec2.models import ec2_backends
        from moto.iam.models import iam_backends

        associations = ec2_backends[self.account_id][self.region].iam_instance_profile_associations
        association = associations.get(self.instance_id)
        if association is None or association.state != "associated":
            return None
        try:
            # Look the profile up again: it may have been deleted or had its role changed since.
            iam = iam_backends[self.account_id][PARTITION]
            return iam.get_instance_profile_by_arn(association.iam_instance_profile.arn)
        except Exception:
            return None

    def role(self):
        profile = self.profile()
        if profile is None or not profile.roles:
            return None
        return profile.roles[0]

    def credentials(self, role):
        """Credentials for the role, minted once and reused until close to expiry, as EC2 rotates them."""
        from moto.sts.models import sts_backends

        with self.lock:
            current = self.minted.get(role.arn)
            now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
            if current is None or (current.expiration - now).total_seconds() < REFRESH_MARGIN:
                current = sts_backends[self.account_id][PARTITION].assume_role(
                    region_name=self.region, role_session_name=self.instance_id, role_arn=role.arn,
                    policy=None, duration=CREDENTIAL_SECONDS, external_id=None,
                )
                self.minted[role.arn] = current
            return current

    def identity_document(self):
        instance = self.instance()
        return {
            "accountId": self.account_id,
            "architecture": getattr(instance, "architecture", "x86_64"),
            "availabilityZone": instance.placement.zone,
            "billingProducts": None,
            "devpayProductCodes": None,
            "marketplaceProductCodes": None,
            "imageId": instance.image_id,
            "instanceId": instance.id,
            "instanceType": instance.instance_type,
            "kernelId": None,
            "pendingTime": utc_text(instance.launch_time),
            "privateIp": instance.private_ip,
            "ramdiskId": None,
            "region": self.region,
            "version": "2017-09-30",
        }

    def answer(self, path):
        """(content type, text) for a metadata path; raises NotFound as EC2 answers 404."""
        instance = self.instance()
        static = {
            "/latest/meta-data/instance-id": instance.id,
            "/latest/meta-data/ami-id": instance.image_id,
            "/latest/meta-data/instance-type": instance.instance_type,
            "/latest/meta-data/local-ipv4": instance.private_ip or "",
            "/latest/meta-data/local-hostname": instance.private_dns_name,
            "/latest/meta-data/hostname": instance.private_dns_name,
            "/latest/meta-data/placement/availability-zone": instance.placement.zone,
            "/latest/meta-data/placement/region": self.region,
            "/latest/meta-data/placement/": "availability-zone\nregion",
        }
        if path in static:
            return "text/plain", static[path]
        if path in ("/latest/meta-data", "/latest/meta-data/"):
            names = ["ami-id", "hostname", "instance-id", "instance-type", "local-hostname", "local-ipv4",
                     "placement/"]
            if self.role() is not None:
                names.append("iam/")
            return "text/plain", "\n".join(sorted(names))
        if path == "/latest/dynamic/instance-identity/document":
            return "application/json", json.dumps(self.identity_document(), indent=2)
        if path.startswith("/latest/meta-data/iam"):
            return self.answer_iam(path)
        raise NotFound(path)

    def answer_iam(self, path):
        profile = self.profile()
        role = self.role()
        if role is None:
            raise NotFound(path)
        if path in ("/latest/meta-data/iam", "/latest/meta-data/iam/"):
            return "text/plain", "info\nsecurity-credentials/"
        if path == "/latest/meta-data/iam/info":
            info = {"Code": "Success", "LastUpdated": utc_text(datetime.datetime.utcnow()),
                    "InstanceProfileArn": profile.arn, "InstanceProfileId": profile.id}
            return "application/json", json.dumps(info, indent=2)
        if path == "/latest/meta-data/iam/security-credentials/":
            return "text/plain", role.name
        if path == "/latest/meta-data/iam/security-credentials/" + role.name:
            minted = self.credentials(role)
            document = {
                "Code": "Success", "LastUpdated": utc_text(datetime.datetime.utcnow()), "Type": "AWS-HMAC",
                "AccessKeyId": minted.access_key_id, "SecretAccessKey": minted.secret_access_key,
                "Token": minted.session_token, "Expiration": utc_text(minted.expiration),
            }
            return "application/json", json.dumps(document, indent=2)
        raise NotFound(path)


class Tokens:
    """IMDSv2 session tokens with their expiry."""

    def __init__(self):
        self.expiry = {}
        self.lock = threading.Lock()

    def issue(self, ttl):
        token = secrets.token_urlsafe(40)
        with self.lock:
            self.expiry[token] = time.monotonic() + ttl
        return token

    def valid(self, token):
        with self.lock:
            deadline = self.expiry.get(token)
        return deadline is not None and time.monotonic() < deadline


def handler_for(view, tokens, requests):
    class Handler(BaseHTTPRequestHandler):
        server_version = "EC2ws"
        sys_version = ""

        def log_message(self, *args):
            pass

        def send(self, status, text, content_type="text/plain", headers=()):
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            requests.append({"method": self.command, "path": self.path, "status": status})

        def do_PUT(self):
            if self.path != "/latest/api/token":
                return self.send(404, "Not Found")
            try:
                ttl = int(self.headers.get(TOKEN_TTL_HEADER, ""))
            except ValueError:
                return self.send(400, "Bad Request")
            if not 1 <= ttl <= MAX_TOKEN_TTL:
                return self.send(400, "Bad Request")
            self.send(200, tokens.issue(ttl), headers=[(TOKEN_TTL_HEADER, str(ttl))])

        def do_GET(self):
            if not tokens.valid(self.headers.get(TOKEN_HEADER, "")):
                return self.send(401, "Unauthorized")
            try:
                content_type, text = view.answer(self.path.split("?", 1)[0])
            except NotFound:
                return self.send(404, "Not Found")
            except Exception as error:  # moto lost the instance (reset, terminate): answer like a broken EC2
                return self.send(500, "Internal Server Error: %s" % type(error).__name__)
            self.send(200, text, content_type)

    return Handler


class Endpoint:
    """One IMDS server on 127.0.0.1:<port> for one instance."""

    def __init__(self, view, port=0):
        self.view = view
        self.requests = []
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(view, Tokens(), self.requests))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def describe(self):
        return {"instance_id": self.view.instance_id, "port": self.port,
                "url": "http://127.0.0.1:%d" % self.port, "requests": list(self.requests)}

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Control:
    """The /_iamkit/imds control: start, list and stop endpoints."""

    def __init__(self, account_id, region):
        self.account_id = account_id
        self.region = region
        self.endpoints = {}
        self.lock = threading.Lock()

    def __call__(self, method, payload):
        payload = payload or {}
        with self.lock:
            if method == "POST":
                return self.start(payload["instance_id"], int(payload.get("port") or 0))
            if method == "DELETE":
                self.stop(payload.get("instance_id"))
            return [endpoint.describe() for endpoint in self.endpoints.values()]

    def start(self, instance_id, port):
        if instance_id in self.endpoints:
            return self.endpoints[instance_id].describe()
        view = InstanceView(instance_id, self.account_id, self.region)
        view.instance()  # an unknown instance fails here, not at the host's first request
        endpoint = Endpoint(view, port)
        self.endpoints[instance_id] = endpoint
        return endpoint.describe()

    def stop(self, instance_id=None):
        for key in [instance_id] if instance_id else list(self.endpoints):
            endpoint = self.endpoints.pop(key, None)
            if endpoint is not None:
                endpoint.stop()


def install(front):
    front.controls["imds"] = Control(front.state["account_id"], front.state["region"])
