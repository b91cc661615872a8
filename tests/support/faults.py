"""Embedded-AWS extension: the faults real AWS produces and moto does not, in one place.

Loaded by `embedded_aws.py serve --extension faults` (install(front) runs in the server process). Every kind of
fault is a request hook in front of moto, switched on and off per test through a control endpoint:

- /_iamkit/faults        count-based errors per action (the first form, kept as it was): POST
                         {"action", "count", "kind": invalid_profile|throttle|unavailable} or {"action", "count",
                         "code", "message", "status"}, optional "after" (let that many matching requests pass
                         first); DELETE clears; every method answers with what is still pending.
- /_iamkit/fault_shares  share-based errors: POST {"share": 0.2, "actions": ["*"] or names, "seed": 7,
                         "kinds": ["throttle", "unavailable"]} answers that share of matching requests with
                         throttling (HTTP 400: Throttling for IAM/STS, RequestLimitExceeded for EC2) or 503
                         ServiceUnavailable, drawn from a random generator with a fixed seed; DELETE stops it.
- /_iamkit/propagation   IAM propagation delay: POST {"seconds": 30} makes calls that name an instance profile or
                         role fail as AWS does while it has not propagated, for that many seconds after its
                         create call (see PROPAGATION); DELETE stops it.
- /_iamkit/fault_clock   the clock the delays are measured on: POST {"advance": s} moves it forward, so a test
                         whose retries sleep on a virtual clock waits out a 30 s delay without waiting.
- /_iamkit/race          POST {"actions": [...], "parties": 2 or {action: n}, "timeout": 60} holds each matching
                         request until `parties` requests of that action have arrived, then lets them all through
                         at once, so two runs that both read "missing" both write; DELETE stops it.
- /_iamkit/rate_limits   EC2's request rate limits as AWS documents them (Amazon EC2 API reference, "Request
                         throttling"): one token bucket for mutating actions (50 tokens, refilled at 5 per second)
                         and one for non-mutating ones (Describe*: 100 at 20 per second); a request finding its
                         bucket empty is answered RequestLimitExceeded (HTTP 503), as EC2 does. POST {"scale": 10}
                         multiplies the refill rates (so a benchmark of 1,000 writes stays short), optionally
                         {"buckets": {"mutating": [capacity, refill], ...}}; DELETE stops it; GET shows them.
- /_iamkit/fault_stats   GET: how many requests each kind of fault answered, and the races released.

Also, for the JSON and CBOR protocols (CloudWatch metrics with current botocore, Logs, SSM), moto's authorization
refusals come back as XML, which botocore cannot parse there (it reports the HTTP status as the code). They are
re-encoded in the request's protocol, so a missing permission reads AccessDenied with moto's message.
"""

import json
import random
import re
import threading
import time
from xml.sax.saxutils import escape

# ------------------------------------------------------------------------------------------- error bodies


def _protocol(call):
    environ = call["environ"]
    if environ.get("HTTP_SMITHY_PROTOCOL", "").startswith("rpc-v2-cbor") or "/operation/" in environ.get(
            "PATH_INFO", ""):
        return "cbor"
    if environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    return "ec2" if call["service"] == "ec2" else "query"


def _cbor_text(value):
    data = value.encode("utf-8")
    return _cbor_head(3, len(data)) + data


def _cbor_head(major, length):
    if length < 24:
        return bytes([major << 5 | length])
    if length < 256:
        return bytes([major << 5 | 24, length])
    return bytes([major << 5 | 25]) + length.to_bytes(2, "big")


def error_answer(protocol, status, code, message):
    """(status line, headers, body) of an AWS error in the protocol the request used."""
    status_line = status if isinstance(status, str) else "%d %s" % (status, "Error")
    if protocol == "cbor":
        body = _cbor_head(5, 2) + _cbor_text("__type") + _cbor_text(code) + _cbor_text("message") + _cbor_text(message)
        return status_line, [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")], body
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        return status_line, [("Content-Type", "application/x-amz-json-1.1")], body
    if protocol == "ec2":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>%s</Code><Message>%s</Message>'
                "</Error></Errors><RequestID>iamkit-fault</RequestID></Response>" % (escape(code), escape(message)))
    else:
        body = ("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
                "<RequestId>iamkit-fault</RequestId></ErrorResponse>" % (escape(code), escape(message)))
    return status_line, [("Content-Type", "text/xml")], body.encode()


def throttle(call):
    # EC2 says RequestLimitExceeded; IAM, STS and the JSON services say Throttling. Both come as HTTP 400.
    code = "RequestLimitExceeded" if call["service"] == "ec2" else "Throttling"
    return "400 Bad Request", code, "Rate exceeded (injected)"


def unavailable(call):
    return "503 Service Unavailable", "ServiceUnavailable", "Service is unavailable (injected)"


def invalid_profile(call):
    params = call["params"]
    if params.get("IamInstanceProfile.Arn"):
        value, parameter, kind = params["IamInstanceProfile.Arn"], "iamInstanceProfile.arn", "ARN"
    else:
        value, parameter, kind = params.get("IamInstanceProfile.Name", ""), "iamInstanceProfile.name", "name"
    # AWS's answer while a new instance profile has not yet reached EC2.
    message = "Value (%s) for parameter %s is invalid. Invalid IAM Instance Profile %s" % (value, parameter, kind)
    return "400 Bad Request", "InvalidParameterValue", message


def legacy_throttle(call):
    # The count-based form always answered EC2's throttling as a 503; its users assert that status.
    return "503 Service Unavailable", "RequestLimitExceeded", "Request limit exceeded."


PRESETS = {"invalid_profile": invalid_profile, "throttle": legacy_throttle, "unavailable": unavailable}
SHARE_KINDS = {"throttle": throttle, "unavailable": unavailable}


# ------------------------------------------------------------------------------------------- propagation

def _profile_in_ec2_call(params):
    value = params.get("IamInstanceProfile.Arn") or params.get("IamInstanceProfile.Name") or ""
    return value.rsplit("/", 1)[-1]


def _not_found(kind, name):
    return "404 Not Found", "NoSuchEntity", "The %s with name %s cannot be found." % (kind, name)


# created by -> (what it creates, parameter naming it); then, per action that names it, how AWS refuses it while
# it has not propagated: IAM's own writes that take a new role, and EC2, which learns of a new profile last (the
# error users meet most).
CREATES = {"CreateInstanceProfile": ("profile", "InstanceProfileName"), "CreateRole": ("role", "RoleName")}
DELETES = {"DeleteInstanceProfile": ("profile", "InstanceProfileName"), "DeleteRole": ("role", "RoleName")}
PROPAGATION = {
    "AssociateIamInstanceProfile": [("profile", _profile_in_ec2_call, invalid_profile)],
    "ReplaceIamInstanceProfileAssociation": [("profile", _profile_in_ec2_call, invalid_profile)],
    "AddRoleToInstanceProfile": [("role", lambda p: p.get("RoleName"), lambda call: _not_found("role", call["name"]))],
    "AttachRolePolicy": [("role", lambda p: p.get("RoleName"), lambda call: _not_found("role", call["name"]))],
    "PutRolePolicy": [("role", lambda p: p.get("RoleName"), lambda call: _not_found("role", call["name"]))],
}


# ------------------------------------------------------------------------------------------- EC2 rate limits

# (capacity, refill per second) of EC2's default token buckets, from AWS's documentation of request throttling.
EC2_BUCKETS = {"mutating": (50, 5.0), "non_mutating": (100, 20.0)}
NON_MUTATING = ("Describe", "Get", "List")


class TokenBucket:
    def __init__(self, capacity, refill):
        self.capacity, self.refill = float(capacity), float(refill)
        self.tokens, self.last = float(capacity), time.monotonic()

    def take(self):
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.refill)
        self.last = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def ec2_category(action):
    return "non_mutating" if action.startswith(NON_MUTATING) else "mutating"


# ------------------------------------------------------------------------------------------- the layer

class FaultLayer:
    """All fault state of one server; every hook and control below works on it under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.offset = 0.0
        self.pending = []
        self.shares = None
        self.rng = random.Random(0)
        self.propagation_seconds = 0
        self.created = {}
        self.race = None
        self.buckets = None
        self.stats = {}

    def now(self):
        return time.monotonic() + self.offset

    def count(self, kind, action):
        key = "%s %s" % (kind, action)
        self.stats[key] = self.stats.get(key, 0) + 1

    # ---------------------------------------------------------------------------- count-based (first form)

    def control_faults(self, method, payload):
        with self.lock:
            if method == "POST":
                fault = dict(payload)
                if fault.get("kind") not in (None,) + tuple(PRESETS):
                    return {"error": "kind must be one of %s" % ", ".join(sorted(PRESETS))}
                fault["count"] = int(fault.get("count", 1))
                self.pending.append(fault)
            elif method == "DELETE":
                self.pending = []
            return [dict(f) for f in self.pending]

    def _take(self, action):
        for fault in self.pending:
            if fault["action"] == action and fault.get("after", 0) > 0:
                # Let this many matching requests through first: a failure mid-way through a batch.
                fault["after"] -= 1
                return None
            if fault["action"] == action and fault["count"] > 0:
                fault["count"] -= 1
                if fault["count"] == 0:
                    self.pending.remove(fault)
                return fault
        return None

    def counted_hook(self, call):
        with self.lock:
            fault = self._take(call["action"])
            if fault is None:
                return None
            self.count("counted", call["action"])
        if fault.get("kind"):
            status, code, message = PRESETS[fault["kind"]](call)
        else:
            status = fault.get("status", 400)
            status = status if isinstance(status, str) else "%d Injected Fault" % status
            code, message = fault.get("code", "InternalError"), fault.get("message", "injected fault")
        return error_answer(_protocol(call), status, code, message)

    # ---------------------------------------------------------------------------- share-based

    def control_shares(self, method, payload):
        with self.lock:
            if method == "POST":
                share = float(payload.get("share", 0.2))
                kinds = payload.get("kinds") or sorted(SHARE_KINDS)
                unknown = [k for k in kinds if k not in SHARE_KINDS]
                if not 0 <= share <= 1 or unknown:
                    return {"error": "share must be 0..1 and kinds among %s" % ", ".join(sorted(SHARE_KINDS))}
                self.shares = {"share": share, "actions": payload.get("actions") or ["*"], "kinds": kinds}
                self.rng = random.Random(payload.get("seed", 0))
            elif method == "DELETE":
                self.shares = None
            return self.shares

    def share_hook(self, call):
        with self.lock:
            shares = self.shares
            if shares is None or ("*" not in shares["actions"] and call["action"] not in shares["actions"]):
                return None
            if self.rng.random() >= shares["share"]:
                self.count("passed", "share")
                return None
            kind = self.rng.choice(shares["kinds"])
            self.count(kind, call["action"])
        return error_answer(_protocol(call), *SHARE_KINDS[kind](call))

    # ---------------------------------------------------------------------------- propagation delay

    def control_propagation(self, method, payload):
        with self.lock:
            if method == "POST":
                self.propagation_seconds = float(payload.get("seconds", 30))
            elif method == "DELETE":
                self.propagation_seconds = 0
                self.created = {}
            return {"seconds": self.propagation_seconds, "tracked": sorted("%s %s" % k for k in self.created)}

    def control_clock(self, method, payload):
        with self.lock:
            if method == "POST":
                self.offset += float(payload.get("advance", 0))
            return {"offset": self.offset}

    def propagation_hook(self, call):
        action, params = call["action"], call["params"]
        with self.lock:
            if not self.propagation_seconds:
                return None
            if action in CREATES:
                kind, parameter = CREATES[action]
                # A create that meets an existing entity does not restart its clock.
                self.created.setdefault((kind, params.get(parameter, "")), self.now())
                return None
            if action in DELETES:
                kind, parameter = DELETES[action]
                self.created.pop((kind, params.get(parameter, "")), None)
                return None
            for kind, name_of, answer in PROPAGATION.get(action, []):
                name = name_of(params)
                since = self.created.get((kind, name))
                if since is not None and self.now() - since < self.propagation_seconds:
                    self.count("propagation", action)
                    return error_answer(_protocol(call), *answer(dict(call, name=name)))
        return None

    # ---------------------------------------------------------------------------- races

    def control_race(self, method, payload):
        with self.lock:
            if method == "POST":
                parties = payload.get("parties", 2)
                if not isinstance(parties, dict):
                    parties = dict((action, parties) for action in payload["actions"])
                self.race = {"actions": list(payload["actions"]), "parties": parties,
                             "timeout": float(payload.get("timeout", 60)), "waiting": {}, "released": {},
                             "timed_out": {}}
            elif method == "DELETE":
                race, self.race = self.race, None
                if race:
                    for gate in race["waiting"].values():
                        gate["event"].set()
            race = self.race
            if race is None:
                return None
            return {"actions": race["actions"], "parties": race["parties"], "released": race["released"],
                    "timed_out": race["timed_out"],
                    "waiting": dict((a, g["arrived"]) for a, g in race["waiting"].items())}

    def race_hook(self, call):
        action = call["action"]
        with self.lock:
            race = self.race
            if race is None or action not in race["actions"]:
                return None
            gate = race["waiting"].setdefault(action, {"arrived": 0, "event": threading.Event()})
            gate["arrived"] += 1
            if gate["arrived"] >= int(race["parties"].get(action, 2)):
                # Everyone is here: let them all through together, and start a new round for this action.
                gate["event"].set()
                del race["waiting"][action]
                race["released"][action] = race["released"].get(action, 0) + 1
                self.count("race released", action)
                return None
        if not gate["event"].wait(race["timeout"]):
            with self.lock:
                if race["waiting"].get(action) is gate:
                    del race["waiting"][action]
                race["timed_out"][action] = race["timed_out"].get(action, 0) + 1
        return None

    # ---------------------------------------------------------------------------- EC2 rate limits

    def control_rate_limits(self, method, payload):
        with self.lock:
            if method == "POST":
                scale = float(payload.get("scale", 1))
                sizes = dict(EC2_BUCKETS, **dict((k, tuple(v)) for k, v in (payload.get("buckets") or {}).items()))
                self.buckets = dict((name, TokenBucket(capacity, refill * scale))
                                    for name, (capacity, refill) in sizes.items())
            elif method == "DELETE":
                self.buckets = None
            return None if self.buckets is None else dict(
                (name, {"capacity": b.capacity, "refill": b.refill}) for name, b in self.buckets.items())

    def rate_limit_hook(self, call):
        if call["service"] != "ec2":
            return None
        with self.lock:
            if self.buckets is None or self.buckets[ec2_category(call["action"])].take():
                return None
            self.count("rate limited", call["action"])
        return error_answer(_protocol(call), "503 Service Unavailable", "RequestLimitExceeded",
                            "Request limit exceeded.")

    # ---------------------------------------------------------------------------- statistics

    def control_stats(self, method, payload):
        with self.lock:
            if method == "DELETE":
                self.stats = {}
            return dict(self.stats)


# ------------------------------------------------------------------------------------------- protocol fix

_XML_CODE = re.compile(rb"<Code>([^<]+)</Code>")
_XML_MESSAGE = re.compile(rb"<Message>([^<]*)</Message>", re.S)


def reencode_refusals(app):
    """Wrap moto so an XML error answered to a JSON/CBOR request is re-encoded in the request's protocol."""

    def wrapped(environ, start_response):
        call = {"environ": environ, "service": ""}
        protocol = _protocol(call)
        if protocol not in ("json", "cbor"):
            return app(environ, start_response)
        seen = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return lambda data: None

        body = b"".join(app(environ, capture))
        status, headers = seen.get("status", "500 Internal Server Error"), seen.get("headers", [])
        code = _XML_CODE.search(body)
        if int(status[:3]) >= 400 and body.lstrip().startswith(b"<") and code:
            message = _XML_MESSAGE.search(body)
            from xml.sax.saxutils import unescape

            status, headers, body = error_answer(
                protocol, status, code.group(1).decode(),
                unescape(message.group(1).decode()) if message else "")
        start_response(status, headers)
        return [body]

    return wrapped


def install(front):
    layer = FaultLayer()
    # Races first: a held request must not be answered by another fault on its way through. Shares before
    # propagation: a create answered with a throttle made nothing, so its propagation clock must not start.
    front.hooks.extend([layer.race_hook, layer.rate_limit_hook, layer.counted_hook, layer.share_hook,
                        layer.propagation_hook])
    front.controls.update({
        "faults": layer.control_faults,
        "fault_shares": layer.control_shares,
        "propagation": layer.control_propagation,
        "fault_clock": layer.control_clock,
        "race": layer.control_race,
        "rate_limits": layer.control_rate_limits,
        "fault_stats": layer.control_stats,
    })
    front.app = reencode_refusals(front.app)
    front.state["extras"]["faults"] = True
