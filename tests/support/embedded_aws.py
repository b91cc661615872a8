#!/usr/bin/env python
"""The embedded AWS: a moto server on 127.0.0.1 with AWS managed policies, a call log and hooks.

One helper for every consumer (pytest fixtures, integration runs, Molecule, `make demo`, benchmarks):

    python -m tests.support.embedded_aws start --state tests/output/aws.json [--enforce-iam]
    python -m tests.support.embedded_aws env --state tests/output/aws.json     # export lines for a shell
    python -m tests.support.embedded_aws stop --state tests/output/aws.json

or, from Python, `with EmbeddedAWS.started(enforce_iam=True) as aws: aws.env(), aws.calls()`.

The server runs in its own process (moto keeps global state, and the instance-metadata endpoint of the
test world must share that process to mint credentials from moto's STS backend). In front of moto sits a
small WSGI layer that records the action of every request (GET/DELETE /_iamkit/calls) and lets extensions
answer a request themselves (fault injection, AWS-like behaviour where moto differs).
"""

import argparse
import gzip
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

REGION = "us-east-1"
# moto accepts any key pair until authorization is enforced; these are recognisably fake.
OPEN_ACCESS_KEY = "AKIAIAMKITTESTING000"
OPEN_SECRET_KEY = "iamkit-embedded-aws-not-a-secret"
# Requests moto lets through unchecked when authorization is enforced: exactly those that create the admin.
ADMIN_SETUP_REQUESTS = 3
ADMIN_USER = "iamkit-admin"


# --------------------------------------------------------------------------------------------- server side

# The body of the request this thread serves, as it was signed, when the SDK compressed it (see
# patch_signature_over_compressed_bodies).
SIGNED_BODY = threading.local()


def readable_body(environ, body):
    """The body decompressed when the SDK sent it gzip-compressed (as the agent sends PutMetricData)."""
    if environ.get("HTTP_CONTENT_ENCODING") == "gzip" and body:
        try:
            return gzip.decompress(body)
        except (OSError, EOFError):
            return body
    return body


def request_action(environ, body):
    """(service, action) of an AWS request, for the query, JSON and rpc-v2-cbor protocols."""
    body = readable_body(environ, body)
    auth = environ.get("HTTP_AUTHORIZATION", "")
    service = ""
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        service = scope[3] if len(scope) > 3 else ""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return service, target.rsplit(".", 1)[-1]
    path = environ.get("PATH_INFO", "")
    if "/operation/" in path:
        return service, path.rsplit("/operation/", 1)[1].strip("/")
    params = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        params.update(urllib.parse.parse_qs(body.decode("utf-8", "replace")))
    action = params.get("Action", [""])[0]
    return service, action or "%s %s" % (environ.get("REQUEST_METHOD"), path)


def form_params(environ, body):
    """The request's query/form parameters as a flat dict (first value of each)."""
    body = readable_body(environ, body)
    params = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        params.update(urllib.parse.parse_qs(body.decode("utf-8", "replace")))
    return dict((k, v[0]) for k, v in params.items())


class Front:
    """WSGI layer in front of moto: call log, control endpoints, request hooks."""

    def __init__(self, app):
        self.app = app
        self.calls = []
        self.lock = threading.Lock()
        # hook(call) -> None to pass on, or (status, headers, body) to answer instead of moto.
        self.hooks = []
        # filter(call, status, body) -> body, applied to moto's answers (an extension's fix of their shape).
        self.response_filters = []
        # name -> handler(method, payload) -> JSON-able answer, served at /_iamkit/<name>.
        self.controls = {"calls": self._control_calls}

    def _control_calls(self, method, payload):
        with self.lock:
            if method == "DELETE":
                self.calls = []
            return list(self.calls)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if path.startswith("/_iamkit/"):
            return self._control(path[len("/_iamkit/"):], environ, body, start_response)
        if path.startswith("/moto-api"):
            return self.app(environ, start_response)
        SIGNED_BODY.body = body if environ.get("HTTP_CONTENT_ENCODING") == "gzip" else None
        service, action = request_action(environ, body)
        call = {"service": service, "action": action, "params": form_params(environ, body), "environ": environ}
        for hook in list(self.hooks):
            answer = hook(call)
            if answer is not None:
                self._record(service, action, answer[0])
                status, headers, payload = answer
                start_response(status, headers)
                return [payload]
        if self.response_filters:
            return self._filtered(call, environ, start_response)
        status_seen = {}

        def recording_start_response(status, headers, exc_info=None):
            status_seen["status"] = status
            return start_response(status, headers, exc_info)

        result = self.app(environ, recording_start_response)
        self._record(service, action, status_seen.get("status", ""))
        return result

    def _filtered(self, call, environ, start_response):
        """moto's answer held back whole, passed through the response filters, then sent."""
        answer = {}

        def holding_start_response(status, headers, exc_info=None):
            answer.update(status=status, headers=headers, exc_info=exc_info)
            return lambda data: None

        result = self.app(environ, holding_start_response)
        body = b"".join(result)
        if hasattr(result, "close"):
            result.close()
        headers = answer["headers"]
        for response_filter in self.response_filters:
            filtered = response_filter(call, answer["status"], body)
            if filtered != body:
                # Only a changed body gets a new length: a HEAD answer's length is the object's, with no body.
                body = filtered
                headers = [(name, str(len(body)) if name.lower() == "content-length" else value)
                           for name, value in headers]
        start_response(answer["status"], headers, answer["exc_info"])
        self._record(call["service"], call["action"], answer["status"])
        return [body]

    def _record(self, service, action, status):
        # `time` is the machine's monotonic clock when the answer was ready (comparable across processes).
        with self.lock:
            self.calls.append({"service": service, "action": action, "status": int(str(status)[:3] or 0),
                               "time": time.monotonic()})

    def _control(self, name, environ, body, start_response):
        handler = self.controls.get(name)
        if handler is None:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"error": "no such control"}']
        payload = json.loads(body) if body else None
        answer = handler(environ["REQUEST_METHOD"], payload)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]


def patch_cloudwatch_action_names():
    """moto checks CloudWatch calls as monitoring:<Action> (the signing name); AWS policies say cloudwatch:."""
    from moto.iam import access_control

    original = access_control.IAMRequestBase.__init__
    if getattr(original, "_iamkit_patched", False):
        return

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if self._action.startswith("monitoring:"):
            self._action = "cloudwatch:" + self._action[len("monitoring:"):]

    init._iamkit_patched = True
    access_control.IAMRequestBase.__init__ = init


def patch_signature_over_compressed_bodies():
    """SDKs gzip a large PutMetricData or PutLogEvents body (Content-Encoding: gzip; the CloudWatch agent does it
    every time) and sign the compressed bytes, which is what AWS checks; moto checks the signature over the body
    it has decompressed and answers SignatureDoesNotMatch. Its check is given the bytes that were signed."""
    from moto.iam import access_control

    original = access_control.IAMRequestBase._create_aws_request
    if getattr(original, "_iamkit_patched", False):
        return

    def create_aws_request(self):
        signed = getattr(SIGNED_BODY, "body", None)
        if signed is None:
            return original(self)
        decompressed, self._body = self._body, signed
        try:
            return original(self)
        finally:
            self._body = decompressed

    create_aws_request._iamkit_patched = True
    access_control.IAMRequestBase._create_aws_request = create_aws_request


def patch_anonymous_s3_refused():
    """Under enforced IAM moto fails an unsigned S3 request with HTTP 500 (its check reads the Authorization
    header); AWS answers 403 AccessDenied to an anonymous request on a bucket without a public policy."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.s3.exceptions import BucketAccessDeniedError
    from moto.s3.exceptions import S3AccessDeniedError

    original = ActionAuthenticatorMixin._authenticate_and_authorize_s3_action
    if getattr(original, "_iamkit_patched", False):
        return

    def authorize(self, bucket_name=None, key_name=None):
        enforced = ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT
        presigned = "X-Amz-Credential" in self.querystring
        if enforced and "Authorization" not in self.headers and not presigned:
            raise BucketAccessDeniedError(bucket=bucket_name) if bucket_name else S3AccessDeniedError()
        return original(self, bucket_name=bucket_name, key_name=key_name)

    authorize._iamkit_patched = True
    ActionAuthenticatorMixin._authenticate_and_authorize_s3_action = authorize


def create_admin(endpoint):
    """Create the admin user within moto's unchecked requests and return its keys."""
    import boto3

    iam = boto3.client(
        "iam", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id=OPEN_ACCESS_KEY, aws_secret_access_key=OPEN_SECRET_KEY,
    )
    iam.create_user(UserName=ADMIN_USER)
    iam.attach_user_policy(UserName=ADMIN_USER, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def load_extensions(front, names):
    """Import each `tests.support.<name>` module and call its install(front): fidelity, faults, imds..."""
    import importlib

    for name in names:
        importlib.import_module("tests.support." + name).install(front)


# The partition of every ARN and endpoint the tests use (us-east-1's); the extensions read moto's backends of it.
PARTITION = "aws"


@contextmanager
def managed_policies_in_the_used_partition_only():
    """moto makes an IAM backend for each of the six partitions (aws, aws-cn, aws-us-gov, ...) of an account at
    its first IAM call and at each reset, and loads all of AWS's managed policies into each: about a second of
    CPU each time. Only the aws partition's are ever read by the tests, so only they are loaded; that partition
    keeps every managed policy AWS has."""
    from moto.iam import models

    original = models.IAMBackend._init_aws_policies

    def init_aws_policies(self):
        return original(self) if self.region_name == PARTITION else []

    models.IAMBackend._init_aws_policies = init_aws_policies
    try:
        yield
    finally:
        models.IAMBackend._init_aws_policies = original


def serve(state_path, port=0, enforce_iam=False, extensions=()):
    """Run the server in this process until SIGTERM/SIGINT; write the state file once it answers."""
    # moto reads these when first imported.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    if enforce_iam:
        os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(ADMIN_SETUP_REQUESTS)
    with managed_policies_in_the_used_partition_only():
        serve_until_stopped(state_path, port, enforce_iam, extensions)


def serve_until_stopped(state_path, port, enforce_iam, extensions):
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from moto.moto_server.werkzeug_app import create_backend_app
    from werkzeug.serving import make_server

    front = Front(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", port, front, threaded=True, request_handler=MotoRequestHandler)
    endpoint = "http://127.0.0.1:%d" % server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    state = {"endpoint": endpoint, "region": REGION, "pid": os.getpid(), "enforce_iam": enforce_iam,
             "access_key": OPEN_ACCESS_KEY, "secret_key": OPEN_SECRET_KEY, "account_id": "123456789012"}
    if enforce_iam:
        patch_cloudwatch_action_names()
        patch_signature_over_compressed_bodies()
        patch_anonymous_s3_refused()
        state["access_key"], state["secret_key"] = create_admin(endpoint)
    state["extras"] = {}
    front.state = state
    load_extensions(front, extensions)
    front.calls = []

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    tmp = state_path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(state, handle)
    os.chmod(tmp, 0o600)
    os.replace(tmp, state_path)
    stop.wait()
    server.shutdown()


# --------------------------------------------------------------------------------------------- client side

class EmbeddedAWS:
    """Handle on a running embedded AWS server (started here or found through its state file)."""

    def __init__(self, state):
        self.state = state

    endpoint = property(lambda self: self.state["endpoint"])
    region = property(lambda self: self.state["region"])
    access_key = property(lambda self: self.state["access_key"])
    secret_key = property(lambda self: self.state["secret_key"])
    account_id = property(lambda self: self.state["account_id"])

    @classmethod
    def start(cls, state_path, enforce_iam=False, extensions=(), timeout=60, log_path=None):
        """Start the server in a child process and wait until its state file says it answers."""
        if os.path.exists(state_path):
            os.remove(state_path)
        command = [sys.executable, "-m", "tests.support.embedded_aws", "serve", "--state", os.path.abspath(state_path)]
        if enforce_iam:
            command.append("--enforce-iam")
        for name in extensions:
            command += ["--extension", name]
        log = open(log_path or (state_path + ".log"), "ab")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while not os.path.exists(state_path):
            if process.poll() is not None:
                raise RuntimeError("embedded AWS exited with %s; see %s" % (process.returncode, log.name))
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("embedded AWS did not start within %ss; see %s" % (timeout, log.name))
            time.sleep(0.1)
        return cls.from_state(state_path)

    @classmethod
    def from_state(cls, state_path):
        with open(state_path) as handle:
            return cls(json.load(handle))

    @classmethod
    @contextmanager
    def started(cls, state_path=None, **kwargs):
        import tempfile

        folder = None
        if state_path is None:
            folder = tempfile.mkdtemp(prefix="iamkit-aws-")
            state_path = os.path.join(folder, "aws.json")
        aws = cls.start(state_path, **kwargs)
        try:
            yield aws
        finally:
            aws.stop()

    def stop(self, timeout=15):
        stop_pid(self.state["pid"], timeout)

    def env(self):
        """Environment for boto3, the AWS CLI and amazon.aws modules pointed at this server."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_URL": self.endpoint,
        }

    def client(self, service, **kwargs):
        import boto3

        params = dict(endpoint_url=self.endpoint, region_name=self.region,
                      aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key)
        params.update(kwargs)
        return boto3.client(service, **params)

    @property
    def second_account(self):
        """{"account_id", "access_key", "secret_key"} of the second account's admin (`accounts` extension), or None."""
        return self.state.get("second_account")

    def second_account_client(self, service, **kwargs):
        """A boto3 client acting as the second account's admin."""
        keys = self.second_account
        if not keys:
            raise RuntimeError("this embedded AWS has no second account: start it with the accounts extension")
        return self.client(service, aws_access_key_id=keys["access_key"], aws_secret_access_key=keys["secret_key"],
                           **kwargs)

    def control(self, name, method="GET", payload=None):
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(self.endpoint + "/_iamkit/" + name, data=data, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    # The controls of the faults extension that switch something on; fault_clock and fault_stats only measure.
    FAULT_CONTROLS = ("faults", "fault_shares", "propagation", "race", "rate_limits")

    def faults_off(self):
        for name in self.FAULT_CONTROLS:
            self.control(name, "DELETE")

    @contextmanager
    def fault(self, name, payload):
        """Switch a fault on (a control of the faults extension) for the with block only: it is off again
        however the block ends, so a test that dies does not hand its fault to the next test on this server."""
        answer = self.control(name, "POST", payload)
        try:
            yield answer
        finally:
            self.control(name, "DELETE")

    def calls(self):
        """Every request since the last reset: [{"service", "action", "status"}, ...]."""
        return self.control("calls")

    def reset_calls(self):
        self.control("calls", method="DELETE")

    def reset(self):
        """Wipe all AWS state (moto's reset). With enforced IAM, the admin user is created again."""
        request = urllib.request.Request(self.endpoint + "/moto-api/reset", data=b"", method="POST")
        urllib.request.urlopen(request, timeout=30).close()
        self.reset_calls()


WRITE_PREFIXES = ("Create", "Delete", "Put", "Update", "Attach", "Detach", "Add", "Remove", "Tag", "Untag",
                  "Associate", "Disassociate", "Replace", "Run", "Terminate", "Start", "Stop", "Set")


def is_write(action):
    """True for actions that change AWS (by AWS's naming convention)."""
    return action.startswith(WRITE_PREFIXES)


def stop_pid(pid, timeout=15):
    """SIGTERM one process we started, SIGKILL if it lingers; reap it when it is our child."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


# The image test instances launch from: Amazon's Amazon Linux 2023 images of the region. Asking for every image
# Amazon owns would do too, but moto then describes 1,300 of them, about 3 seconds of CPU per call.
AMI_NAME = "al2023-ami-2023*-x86_64"


def ami_id(ec2):
    """An image id to launch test instances from, in the region of client `ec2`."""
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": [AMI_NAME]}])["Images"]
    return images[0]["ImageId"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("command", choices=["serve", "start", "stop", "env", "calls"])
    parser.add_argument("--state", required=True, help="state file (endpoint, keys, pid)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--enforce-iam", action="store_true", help="check every request against IAM policies")
    parser.add_argument("--extension", action="append", default=[],
                        help="tests.support module to install (aws_fidelity, faults, imds, accounts)")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.state, args.port, args.enforce_iam, args.extension)
    elif args.command == "start":
        aws = EmbeddedAWS.start(args.state, enforce_iam=args.enforce_iam, extensions=args.extension)
        print("embedded AWS at %s (state %s)" % (aws.endpoint, args.state))
    elif args.command == "stop":
        if os.path.exists(args.state):
            EmbeddedAWS.from_state(args.state).stop()
            os.remove(args.state)
    elif args.command == "env":
        for key, value in EmbeddedAWS.from_state(args.state).env().items():
            print("export %s=%s" % (key, value))
    elif args.command == "calls":
        print(json.dumps(EmbeddedAWS.from_state(args.state).calls(), indent=1))


if __name__ == "__main__":
    main()
