"""A local AWS emulator: moto's server behind a small WSGI middleware.

moto's server stands in for AWS over HTTP (one endpoint for every service; boto3 reaches it
through ``AWS_ENDPOINT_URL``). The middleware adds what a demo, the tests and a benchmark need
and moto does not offer:

* **latency**: an optional fixed delay before every AWS request (``time.sleep`` in the handler
  thread; the server is threaded, so concurrent requests are not serialised);
* **fault rules**, replaceable at runtime (``POST /_emulator/faults`` with a JSON list,
  ``GET /_emulator/faults``). A rule matches on any of ``account_id``, ``service`` (the SigV4
  credential-scope service name such as ``ec2``, ``rds``, ``elasticloadbalancing``,
  ``monitoring``; the boto3 client names ``elb``, ``elbv2`` and ``cloudwatch`` are accepted too),
  ``action`` and ``region``; absent keys match anything. A matching request is answered with
  ``code``/``message``/``status`` (default 400) in the protocol's own error format, so botocore
  raises ``ClientError`` with ``Error.Code == code``. For ``sts:AssumeRole`` the rule's
  ``account_id`` is compared with the account of the *target* ``RoleArn``;
* **latency at runtime**: ``GET /_emulator/latency``, ``POST /_emulator/latency`` with
  ``{"latency_ms": 50}`` (a benchmark seeds at 0 ms, then measures at 50 ms);
* **handler timing** (``GET /_emulator/timing``, reset with the stats): seconds spent inside moto
  (and the gap fillers) per action, the added latency excluded, and the server process's CPU time,
  so a benchmark can tell the emulator's own cost from the client's;
* **request stats** (``GET /_emulator/stats``, ``POST /_emulator/stats/reset``), keyed
  ``"<client>:<Action>"`` with boto3 client names (``ec2:DescribeInstances``,
  ``elbv2:DescribeLoadBalancers``, ``cloudwatch:GetMetricData``, ``s3:ListBuckets``);
* **a gap filler for ``ssm:DescribeInstanceInformation``** (moto does not implement it), answered
  from moto's in-process EC2 backend: every running instance tagged ``SSMManaged=true``;
* **the Price List Query API** (``pricing:GetProducts``, which moto lacks), answered from
  ``price_list.py``'s products in the real response shape (TERM_MATCH filters, pagination);
* **``ec2:DescribeSnapshots`` ``OwnerIds``**, which moto ignores, is translated into the
  ``owner-id`` filter moto supports (``self`` = the caller's account);
* **backdating** (``POST /_emulator/backdate``), a demo-only hook moto has no API for: moves an EC2
  instance's stop time (``StateTransitionReason``) or launch time, an EBS volume's ``CreateTime``,
  a snapshot's ``StartTime`` or an AMI's ``CreationDate`` into the past, so waste rules that look
  for "stopped for 30 days" or "snapshot older than 90 days" have something to find.

Action names: query protocols (ec2, rds, elb, elbv2, sts, redshift, iam) use the ``Action``
parameter; JSON protocols (ssm, logs, sagemaker, cloudwatch) the ``X-Amz-Target`` suffix; for REST
services (s3, route53, eks, lambda, cloudfront) the operation is found best-effort by matching method
and path against botocore's service model (``requestUri``; the most specific match wins), falling
back to ``"<METHOD> <path>"``.

CLI: ``python -m cloud_inventory.demo.emulator [--port 0] [--latency-ms 0] [--seed-demo]`` binds
127.0.0.1, optionally seeds the demo estate (day 0) and then prints exactly one line
``EMULATOR_URL=http://127.0.0.1:<port>``, and serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable

_PLUGINS_DIR = Path(__file__).resolve().parents[2]

_CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")

# SigV4 scope service -> wire protocol (services not listed: decided by the request's shape)
_REST_XML = {"s3", "route53", "cloudfront"}
_REST_JSON = {"eks", "lambda"}
# boto3 client name(s) for a SigV4 scope service, used in stats keys and accepted in rules
_CLIENT_NAMES = {"monitoring": "cloudwatch", "elasticloadbalancing": "elb"}
_ELBV2_VERSION = "2015-12-01"
# botocore service model for a REST signing name (for best-effort operation names)
_REST_MODELS = {"s3": "s3", "route53": "route53", "cloudfront": "cloudfront", "eks": "eks", "lambda": "lambda"}

SSM_AGENT_VERSION = "3.3.1142.0"


# --------------------------------------------------------------------------------------------------
# request inspection


class RequestInfo:
    """What the middleware knows about one AWS request."""

    __slots__ = ("service", "client", "action", "region", "access_key", "account_id", "protocol", "params", "body")

    def __init__(self) -> None:
        self.service = ""  # SigV4 credential-scope service name
        self.client = ""  # boto3 client name (stats key)
        self.action = ""
        self.region = ""
        self.access_key = ""
        self.account_id = ""
        self.protocol = ""  # ec2 | query | json | cbor | rest-xml | rest-json
        self.params: dict[str, str] = {}
        self.body = b""

    @property
    def stats_key(self) -> str:
        return f"{self.client or self.service or 'unknown'}:{self.action or 'unknown'}"


def _read_body(environ: dict[str, Any]) -> bytes:
    """Read a small non-streaming body and put it back for moto to read again."""
    ctype = environ.get("CONTENT_TYPE", "") or ""
    if not (ctype.startswith("application/x-www-form-urlencoded") or "json" in ctype or "cbor" in ctype):
        return b""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return b""
    if length <= 0:
        return b""
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _account_for_access_key(access_key: str) -> str:
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key)


_rest_ops_cache: dict[str, list[tuple[str, re.Pattern[str], list[str], int, str]]] = {}
_rest_ops_lock = threading.Lock()


def _rest_operations(model_name: str) -> list[tuple[str, re.Pattern[str], list[str], int, str]]:
    with _rest_ops_lock:
        if model_name in _rest_ops_cache:
            return _rest_ops_cache[model_name]
        import botocore.session

        model = botocore.session.get_session().get_service_model(model_name)
        ops = []
        for name in model.operation_names:
            http = model.operation_model(name).http
            uri = http.get("requestUri", "/")
            path, _, query = uri.partition("?")
            literal = len(re.sub(r"\{[^}]*\}", "", path))
            parts = re.split(r"(\{[^}]*\})", path)
            rx = ""
            for part in parts:
                if part.startswith("{"):
                    rx += ".+" if part.endswith("+}") else "[^/]+"
                else:
                    rx += re.escape(part)
            rx = "^" + rx.rstrip("/") + "/?$"
            query_keys = [q.split("=")[0] for q in query.split("&") if q]
            ops.append((http.get("method", "GET"), re.compile(rx), query_keys, literal, name))
        _rest_ops_cache[model_name] = ops
        return ops


def _rest_action(service: str, method: str, path: str, query: str, copy_source: bool = False) -> str:
    model_name = _REST_MODELS.get(service)
    if model_name is None:
        return f"{method} {path}"
    qkeys = set(urllib.parse.parse_qs(query, keep_blank_values=True))
    best: tuple[int, int, str] | None = None
    for op_method, rx, query_keys, literal, name in _rest_operations(model_name):
        if op_method != method or not rx.match(path or "/"):
            continue
        if any(k not in qkeys for k in query_keys):
            continue
        if name in ("CopyObject", "UploadPartCopy") and not copy_source:
            continue
        score = (len(query_keys), literal, name)
        if best is None or score[:2] > best[:2]:
            best = score
    return best[2] if best else f"{method} {path}"


def inspect_request(environ: dict[str, Any]) -> RequestInfo:
    info = RequestInfo()
    info.body = _read_body(environ)
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "/") or "/"
    query = environ.get("QUERY_STRING", "") or ""
    ctype = environ.get("CONTENT_TYPE", "") or ""

    match = _CREDENTIAL_RE.search(environ.get("HTTP_AUTHORIZATION", "") or "")
    if match:
        info.access_key, _, info.region, info.service = match.groups()
    else:  # presigned URL
        cred = urllib.parse.parse_qs(query).get("X-Amz-Credential", [""])[0]
        bits = cred.split("/")
        if len(bits) >= 4:
            info.access_key, info.region, info.service = bits[0], bits[2], bits[3]

    params: dict[str, str] = {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}
    if ctype.startswith("application/x-www-form-urlencoded") and info.body:
        params.update({k: v[0] for k, v in urllib.parse.parse_qs(info.body.decode("utf-8", "replace")).items()})
    info.params = params

    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if environ.get("HTTP_SMITHY_PROTOCOL", "").startswith("rpc-v2-cbor"):
        info.protocol = "cbor"
        info.action = path.rstrip("/").rsplit("/", 1)[-1]
    elif target:
        info.protocol = "json"
        info.action = target.rsplit(".", 1)[-1]
    elif "Action" in params:
        info.protocol = "ec2" if info.service == "ec2" else "query"
        info.action = params["Action"]
    elif info.service in _REST_XML:
        info.protocol = "rest-xml"
        info.action = _rest_action(info.service, method, path, query, "HTTP_X_AMZ_COPY_SOURCE" in environ)
    else:
        info.protocol = "rest-json"
        info.action = _rest_action(info.service, method, path, query)

    info.client = _CLIENT_NAMES.get(info.service, info.service)
    if info.service == "elasticloadbalancing" and params.get("Version") == _ELBV2_VERSION:
        info.client = "elbv2"
    if info.access_key:
        try:
            info.account_id = _account_for_access_key(info.access_key)
        except Exception:  # pragma: no cover - moto internals
            info.account_id = ""
    return info


# --------------------------------------------------------------------------------------------------
# errors in each protocol's format


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _cbor_text(value: str) -> bytes:
    raw = value.encode("utf-8")
    return _cbor_head(3, len(raw)) + raw


def _cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([(major << 5) | n])
    if n < 256:
        return bytes([(major << 5) | 24, n])
    if n < 65536:
        return bytes([(major << 5) | 25]) + n.to_bytes(2, "big")
    return bytes([(major << 5) | 26]) + n.to_bytes(4, "big")


def error_response(info: RequestInfo, code: str, message: str, status: int) -> tuple[str, list[tuple[str, str]], bytes]:
    """Status line, headers and body of an AWS error in the request's protocol."""
    request_id = str(uuid.uuid4())
    code_x, msg_x = _xml_escape(code), _xml_escape(message)
    headers = [("x-amzn-RequestId", request_id), ("x-amz-request-id", request_id)]
    if info.protocol == "ec2":
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code_x}</Code>'
            f"<Message>{msg_x}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    elif info.protocol == "query" or (info.protocol == "rest-xml" and info.service != "s3"):
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type>'
            f"<Code>{code_x}</Code><Message>{msg_x}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    elif info.protocol == "rest-xml":  # s3
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code_x}</Code><Message>{msg_x}</Message>'
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
        headers.append(("Content-Type", "application/xml"))
    elif info.protocol == "cbor":
        body = _cbor_head(5, 2) + _cbor_text("__type") + _cbor_text(code) + _cbor_text("message") + _cbor_text(message)
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"),
                    ("x-amzn-query-error", f"{code};Sender")]
    else:  # json, rest-json
        body = json.dumps({"__type": code, "message": message, "Message": message}).encode()
        ctype = "application/x-amz-json-1.1" if info.protocol == "json" else "application/json"
        headers += [("Content-Type", ctype), ("x-amzn-ErrorType", code), ("x-amzn-query-error", f"{code};Sender")]
    headers.append(("Content-Length", str(len(body))))
    return f"{status} {_reason(status)}", headers, body


def json_answer(start_response: Callable[..., Any], info: RequestInfo, code: int, payload: dict) -> Iterable[bytes]:
    """A gap filler's answer in the JSON protocol: the payload, or its error (`__type` and message) when code != 200."""
    if code != 200:
        message = payload.get("message", payload.get("Message", ""))
        status, headers, body = error_response(info, payload["__type"], message, code)
        start_response(status, headers)
        return [body]
    body = json.dumps(payload).encode()
    start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1"),
                              ("x-amzn-RequestId", str(uuid.uuid4())), ("Content-Length", str(len(body)))])
    return [body]


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# --------------------------------------------------------------------------------------------------
# fault rules


def _rule_matches(rule: dict[str, Any], info: RequestInfo) -> bool:
    service = rule.get("service")
    if service and service not in (info.service, info.client):
        return False
    if rule.get("action") and rule["action"] != info.action:
        return False
    if rule.get("region") and rule["region"] != info.region:
        return False
    account = rule.get("account_id")
    if account:
        account = str(account)
        if info.service == "sts" and info.action == "AssumeRole":
            arn = info.params.get("RoleArn", "")
            parts = arn.split(":")
            target = parts[4] if len(parts) > 4 else ""
            if target != account:
                return False
        elif account != info.account_id:
            return False
    return True


def _validate_rules(rules: Any) -> list[dict[str, Any]]:
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise ValueError("fault rules must be a JSON list of objects")
    allowed = {"account_id", "service", "action", "region", "code", "message", "status", "times"}
    out = []
    for rule in rules:
        unknown = set(rule) - allowed
        if unknown:
            raise ValueError(f"unknown fault rule keys: {sorted(unknown)}")
        if not rule.get("code"):
            raise ValueError("a fault rule needs a 'code'")
        if "times" in rule and (not isinstance(rule["times"], int) or rule["times"] < 1):
            raise ValueError("'times' must be a whole number of requests, at least 1")
        out.append(dict(rule))
    return out


# --------------------------------------------------------------------------------------------------
# SSM DescribeInstanceInformation gap filler


def _ec2_backend(account_id: str, region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region]


def _computer_name(ip: str, region: str) -> str:
    host = "ip-" + ip.replace(".", "-")
    return f"{host}.ec2.internal" if region == "us-east-1" else f"{host}.{region}.compute.internal"


def ssm_instance_information(account_id: str, region: str) -> list[dict[str, Any]]:
    """The InstanceInformationList entries the real SSM would list for this account and region."""
    backend = _ec2_backend(account_id, region)
    now = time.time()
    items = []
    for instance in backend.all_instances():
        if instance.state != "running":
            continue
        tags = {t["key"]: t["value"] for t in backend.describe_tags(filters={"resource-id": [instance.id]})}
        if str(tags.get("SSMManaged", "")).lower() != "true":
            continue
        windows = (instance.platform or "").lower() == "windows"
        launched = instance.launch_time.timestamp() if hasattr(instance.launch_time, "timestamp") else now
        associated = round(min(launched + 300, now - 120), 3)
        ip = instance.private_ip or "10.0.0.10"
        items.append(
            {
                "InstanceId": instance.id,
                "PingStatus": "Online",
                "LastPingDateTime": round(now - 60, 3),
                "AgentVersion": SSM_AGENT_VERSION,
                "IsLatestVersion": True,
                "PlatformType": "Windows" if windows else "Linux",
                "PlatformName": "Microsoft Windows Server 2022 Datacenter" if windows else "Amazon Linux",
                "PlatformVersion": "10.0.20348" if windows else "2023",
                "ResourceType": "EC2Instance",
                "IPAddress": ip,
                "ComputerName": _computer_name(ip, region),
                "AssociationStatus": "Success",
                "LastAssociationExecutionDate": associated,
                "LastSuccessfulAssociationExecutionDate": associated,
                "AssociationOverview": {
                    "DetailedStatus": "Success",
                    "InstanceAssociationStatusAggregatedCount": {"Success": 1},
                },
                "SourceId": instance.id,
                "SourceType": "AWS::EC2::Instance",
            }
        )
    items.sort(key=lambda i: i["InstanceId"])
    return items


def _ssm_filter(items: list[dict[str, Any]], request: dict[str, Any]) -> list[dict[str, Any]]:
    key_map = {"InstanceIds": "InstanceId", "PingStatus": "PingStatus", "PlatformTypes": "PlatformType",
               "ResourceType": "ResourceType", "AssociationStatus": "AssociationStatus", "AgentVersion": "AgentVersion"}
    for flt in request.get("InstanceInformationFilterList") or []:
        field = key_map.get(flt.get("key"))
        if field:
            items = [i for i in items if i.get(field) in (flt.get("valueSet") or [])]
    for flt in request.get("Filters") or []:
        key, values = flt.get("Key", ""), flt.get("Values") or []
        field = key_map.get(key)
        if field:
            items = [i for i in items if i.get(field) in values]
    return items


def ssm_describe_instance_information(info: RequestInfo) -> tuple[int, dict[str, Any]]:
    try:
        request = json.loads(info.body or b"{}")
    except ValueError:
        request = {}
    max_results = request.get("MaxResults", 50)
    if not isinstance(max_results, int) or not 5 <= max_results <= 50:
        return 400, {"__type": "ValidationException",
                     "message": "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: "
                                "Member must have value between 5 and 50"}
    items = _ssm_filter(ssm_instance_information(info.account_id, info.region or "us-east-1"), request)
    start = 0
    if request.get("NextToken"):
        try:
            start = int(base64.urlsafe_b64decode(request["NextToken"].encode()).decode())
        except ValueError:
            return 400, {"__type": "InvalidNextToken", "message": "The specified token isn't valid."}
    page = items[start : start + max_results]
    result: dict[str, Any] = {"InstanceInformationList": page}
    if start + max_results < len(items):
        result["NextToken"] = base64.urlsafe_b64encode(str(start + max_results).encode()).decode()
    return 200, result


# --------------------------------------------------------------------------------------------------
# EC2 DescribeSnapshots OwnerIds (moto ignores the parameter)


def rewrite_snapshot_owner_ids(environ: dict[str, Any], info: RequestInfo) -> bool:
    """Turn ``Owner.N`` (``OwnerIds``) into the ``owner-id`` filter moto does support; ``self`` is the caller's account.

    Without this, ``describe_snapshots(OwnerIds=["self"])`` on moto returns every snapshot in the
    region, including the ~1,300 backing moto's bundled public AMIs.
    """
    if not info.body:
        return False
    pairs = urllib.parse.parse_qsl(info.body.decode("utf-8"), keep_blank_values=True)
    owners = [v for k, v in pairs if re.fullmatch(r"Owner(?:Id)?\.\d+", k)]
    if not owners:
        return False
    kept = [(k, v) for k, v in pairs if not re.fullmatch(r"Owner(?:Id)?\.\d+", k)]
    indexes = [int(m.group(1)) for k, _ in kept if (m := re.fullmatch(r"Filter\.(\d+)\.Name", k))]
    n = max(indexes, default=0) + 1
    kept.append((f"Filter.{n}.Name", "owner-id"))
    for i, owner in enumerate(owners, start=1):
        kept.append((f"Filter.{n}.Value.{i}", info.account_id if owner == "self" else owner))
    body = urllib.parse.urlencode(kept).encode()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    info.body = body
    return True


# --------------------------------------------------------------------------------------------------
# backdating (demo hook)


def backdate(account_id: str, region: str, resource_id: str, days_ago: float) -> dict[str, Any]:
    """Move a resource's timestamp ``days_ago`` days into the past inside moto's backend."""
    backend = _ec2_backend(account_id, region)
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)

    def same_tz(old: Any) -> dt.datetime:
        return when if getattr(old, "tzinfo", None) is not None else when.replace(tzinfo=None)

    if resource_id.startswith("i-"):
        instance = backend.get_instance(resource_id)
        if instance.state == "stopped":
            instance._reason = f"User initiated ({when.strftime('%Y-%m-%d %H:%M:%S')} GMT)"
            field = "StateTransitionReason"
        else:
            instance.launch_time = same_tz(instance.launch_time)
            field = "LaunchTime"
            return {"resource_id": resource_id, "field": field, "value": when.isoformat()}
        # a stopped instance was also launched before it stopped
        instance.launch_time = same_tz(instance.launch_time) - dt.timedelta(days=30)
    elif resource_id.startswith("vol-"):
        volume = backend.get_volume(resource_id)
        volume.create_time = same_tz(volume.create_time)
        field = "CreateTime"
    elif resource_id.startswith("snap-"):
        snapshot = backend.get_snapshot(resource_id)
        snapshot.start_time = same_tz(snapshot.start_time)
        field = "StartTime"
    elif resource_id.startswith("ami-"):
        image = backend.describe_images(ami_ids=[resource_id])[0]
        image.creation_date = same_tz(image.creation_date)
        field = "CreationDate"
    else:
        raise ValueError(f"cannot backdate {resource_id!r}")
    return {"resource_id": resource_id, "field": field, "value": when.isoformat()}


# --------------------------------------------------------------------------------------------------
# moto speed-ups (same answers, less CPU)

_GLOB_CHARS = frozenset("*?[")
_patched = False


def speed_up_moto() -> None:
    """Make moto's EC2 tag lookup per resource O(1) instead of a scan of every tag in the region.

    moto renders each instance, volume, ENI, snapshot... with ``describe_tags(filters={"resource-id":
    [id]})``, which walks all tags of the region: O(resources x tags) per Describe call, so a region of a
    few thousand resources costs moto seconds of CPU per page. An exact single-id lookup gives the same
    list (same order, same fields) from the per-resource dict; anything else goes to moto's own code.
    """
    global _patched
    if _patched:
        return
    from moto.ec2.models.tags import TagBackend
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

    original = TagBackend.describe_tags

    def describe_tags(self: Any, filters: dict[str, list[str]] | None = None) -> list[dict[str, str]]:
        ids = filters.get("resource-id") if filters is not None and len(filters) == 1 else None
        if not ids or len(ids) != 1 or not isinstance(ids[0], str) or _GLOB_CHARS & set(ids[0]):
            return original(self, filters)
        resource_id = ids[0]
        tags = self.tags.get(resource_id)  # .get: never adds an empty entry to the defaultdict
        if not tags:
            return []
        resource_type = EC2_PREFIX_TO_RESOURCE.get(get_prefix(resource_id), "")
        return [{"resource_id": resource_id, "key": key, "value": value, "resource_type": resource_type}
                for key, value in list(tags.items())]

    TagBackend.describe_tags = describe_tags  # type: ignore[method-assign]
    _patched = True


# --------------------------------------------------------------------------------------------------
# the WSGI middleware


class EmulatorApp:
    """WSGI app: control endpoints, latency, faults, stats and gap fillers in front of moto."""

    def __init__(self, latency_ms: float = 0, moto_app: Callable[..., Iterable[bytes]] | None = None) -> None:
        if moto_app is None:
            from moto.server import DomainDispatcherApplication, create_backend_app

            moto_app = DomainDispatcherApplication(create_backend_app)
            speed_up_moto()
        self.moto_app = moto_app
        self.latency_s = max(0.0, float(latency_ms)) / 1000.0
        self._lock = threading.Lock()
        self._faults: list[dict[str, Any]] = []
        self._stats: Counter[str] = Counter()
        self._total = 0
        self._busy: Counter[str] = Counter()  # seconds inside moto per stats key (latency excluded)
        self._cpu_at_reset = time.process_time()
        self._wall_at_reset = time.monotonic()

    # -- state ------------------------------------------------------------------------------------
    def set_faults(self, rules: list[dict[str, Any]]) -> None:
        rules = _validate_rules(rules)
        with self._lock:
            self._faults = rules

    def faults(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._faults]

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"total": self._total, "by_action": dict(sorted(self._stats.items()))}

    def reset_stats(self) -> None:
        with self._lock:
            self._stats.clear()
            self._total = 0
            self._busy.clear()
            self._cpu_at_reset = time.process_time()
            self._wall_at_reset = time.monotonic()

    def set_latency(self, latency_ms: float) -> None:
        latency_ms = float(latency_ms)
        if not latency_ms >= 0:  # also rejects NaN
            raise ValueError(f"latency_ms must be >= 0, not {latency_ms!r}")
        self.latency_s = latency_ms / 1000.0

    def latency(self) -> dict[str, Any]:
        return {"latency_ms": self.latency_s * 1000.0}

    def timing(self) -> dict[str, Any]:
        """Since the last stats reset: seconds spent handling requests (without the added latency),
        per action, and the CPU seconds this process used (every thread: moto, werkzeug, the middleware)."""
        with self._lock:
            by_action = {key: round(value, 6) for key, value in sorted(self._busy.items())}
            return {"handler_seconds": round(sum(self._busy.values()), 6), "by_action": by_action,
                    "process_cpu_seconds": round(time.process_time() - self._cpu_at_reset, 6),
                    "wall_seconds": round(time.monotonic() - self._wall_at_reset, 6)}

    def _add_busy(self, key: str, started: float) -> None:
        elapsed = time.perf_counter() - started
        with self._lock:
            self._busy[key] += elapsed

    # -- WSGI -------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or ""
        if path.startswith("/_emulator/"):
            return self._control(environ, start_response, path)
        if self.latency_s:
            time.sleep(self.latency_s)
        started = time.perf_counter()
        info = inspect_request(environ)
        try:
            return self._handle(environ, start_response, info)
        finally:
            self._add_busy(info.stats_key, started)

    def _handle(self, environ: dict[str, Any], start_response: Callable[..., Any], info: RequestInfo) -> Iterable[bytes]:
        with self._lock:
            self._total += 1
            self._stats[info.stats_key] += 1
            rule = next((r for r in self._faults if _rule_matches(r, info) and r.get("times", 1) > 0), None)
            if rule is not None and "times" in rule:
                rule["times"] -= 1  # a transient fault: answers the next `times` matching requests only
        if rule is not None:
            status, headers, body = error_response(
                info, str(rule["code"]), str(rule.get("message") or rule["code"]), int(rule.get("status") or 400)
            )
            start_response(status, headers)
            return [body]
        if info.service == "ssm" and info.action == "DescribeInstanceInformation":
            return json_answer(start_response, info, *ssm_describe_instance_information(info))
        if info.service == "pricing" and info.action == "GetProducts":
            return self._price_list(start_response, info)
        if info.client == "ec2" and info.action == "DescribeSnapshots":
            rewrite_snapshot_owner_ids(environ, info)
        return self.moto_app(environ, start_response)

    def _price_list(self, start_response: Callable[..., Any], info: RequestInfo) -> Iterable[bytes]:
        from cloud_inventory.demo.price_list import get_products

        try:
            request = json.loads(info.body or b"{}")
        except ValueError:
            request = {}
        return json_answer(start_response, info, *get_products(request if isinstance(request, dict) else {}))

    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any], path: str) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")

        def reply(code: int, payload: Any) -> Iterable[bytes]:
            body = json.dumps(payload).encode()
            start_response(f"{code} {_reason(code)}", [("Content-Type", "application/json"),
                                                      ("Content-Length", str(len(body)))])
            return [body]

        def read_json() -> Any:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            return json.loads(raw or b"null")

        try:
            if path == "/_emulator/faults" and method == "GET":
                return reply(200, self.faults())
            if path == "/_emulator/faults" and method in ("POST", "PUT"):
                self.set_faults(read_json() or [])
                return reply(200, self.faults())
            if path == "/_emulator/stats" and method == "GET":
                return reply(200, self.stats())
            if path == "/_emulator/stats/reset" and method == "POST":
                self.reset_stats()
                return reply(200, self.stats())
            if path == "/_emulator/timing" and method == "GET":
                return reply(200, self.timing())
            if path == "/_emulator/latency" and method == "GET":
                return reply(200, self.latency())
            if path == "/_emulator/latency" and method in ("POST", "PUT"):
                req = read_json() or {}
                if not isinstance(req, dict) or "latency_ms" not in req:
                    raise ValueError('expected {"latency_ms": <number>}')
                self.set_latency(req["latency_ms"])
                return reply(200, self.latency())
            if path == "/_emulator/backdate" and method == "POST":
                req = read_json() or {}
                return reply(200, backdate(str(req["account_id"]), req["region"], req["resource_id"],
                                           float(req["days_ago"])))
            if path == "/_emulator/health":
                return reply(200, {"ok": True})
        except (ValueError, KeyError, TypeError) as exc:
            return reply(400, {"error": str(exc)})
        except Exception as exc:  # moto lookup failures (unknown ids) and the like
            return reply(400, {"error": f"{type(exc).__name__}: {exc}"})
        return reply(404, {"error": f"no control endpoint {method} {path}"})


# --------------------------------------------------------------------------------------------------
# server


def _quiet_handler() -> type:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class QuietMotoRequestHandler(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:  # no access log per request
            pass

    return QuietMotoRequestHandler


def make_emulator_server(port: int = 0, latency_ms: float = 0, host: str = "127.0.0.1") -> tuple[Any, EmulatorApp]:
    from werkzeug.serving import make_server

    app = EmulatorApp(latency_ms=latency_ms)
    server = make_server(host, port, app, threaded=True, request_handler=_quiet_handler())
    server.daemon_threads = True
    return server, app


def _http_json(method: str, url: str, payload: Any = None, timeout: float = 10) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{method} {url}: {exc.code} {exc.read().decode(errors='replace')}") from exc


class Emulator:
    """A running emulator: a subprocess by default, or a daemon thread with ``in_process=True``.

    >>> with Emulator(latency_ms=0) as emu:
    ...     boto3.client("ec2", endpoint_url=emu.url, ...)
    """

    def __init__(self, latency_ms: float = 0, port: int = 0, in_process: bool = False,
                 seed_demo: bool = False, startup_timeout: float = 60) -> None:
        self.latency_ms = latency_ms
        self.port = port
        self.in_process = in_process
        self.seed_demo = seed_demo
        self.startup_timeout = startup_timeout
        self.url = ""
        self.app: EmulatorApp | None = None  # in-process only
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen[str] | None = None

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> "Emulator":
        if self.url:
            return self
        if self.in_process:
            self._server, self.app = make_emulator_server(self.port, self.latency_ms)
            self.url = f"http://127.0.0.1:{self._server.server_port}"
            self._thread = threading.Thread(target=self._server.serve_forever, name="aws-emulator", daemon=True)
            self._thread.start()
            if self.seed_demo:
                from cloud_inventory.demo.estate import seed

                seed(self.url, 0)
        else:
            self._start_subprocess()
        self._wait_ready()
        return self

    def _start_subprocess(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PLUGINS_DIR), env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        cmd = [sys.executable, "-m", "cloud_inventory.demo.emulator", "--port", str(self.port),
               "--latency-ms", str(self.latency_ms)]
        if self.seed_demo:
            cmd.append("--seed-demo")
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, text=True)
        found: list[str] = []
        ready = threading.Event()

        def pump() -> None:
            assert self._proc is not None and self._proc.stdout is not None
            for line in self._proc.stdout:  # keep draining so the child never blocks on a full pipe
                if not found and line.startswith("EMULATOR_URL="):
                    found.append(line.strip().split("=", 1)[1])
                    ready.set()
            ready.set()

        threading.Thread(target=pump, name="aws-emulator-stdout", daemon=True).start()
        if not ready.wait(self.startup_timeout) or not found:
            self.stop()
            raise RuntimeError("the AWS emulator did not start (no EMULATOR_URL line)")
        self.url = found[0]

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                _http_json("GET", f"{self.url}/_emulator/health", timeout=2)
                return
            except Exception:
                if time.monotonic() > deadline or (self._proc is not None and self._proc.poll() is not None):
                    self.stop()
                    raise RuntimeError(f"the AWS emulator at {self.url} does not answer")
                time.sleep(0.05)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._server = self._thread = None
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(timeout=10)
            self._proc = None
        self.url = ""

    @property
    def pid(self) -> int | None:
        """The emulator's process id (None in-process or stopped)."""
        return self._proc.pid if self._proc is not None else None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- control ----------------------------------------------------------------------------------
    def set_faults(self, rules: list[dict[str, Any]]) -> None:
        _http_json("POST", f"{self.url}/_emulator/faults", list(rules))

    def faults(self) -> list[dict[str, Any]]:
        return _http_json("GET", f"{self.url}/_emulator/faults")

    def stats(self) -> dict[str, Any]:
        return _http_json("GET", f"{self.url}/_emulator/stats")

    def reset_stats(self) -> None:
        _http_json("POST", f"{self.url}/_emulator/stats/reset", {})

    def set_latency(self, latency_ms: float) -> None:
        """Change the delay added before every AWS request, from now on."""
        _http_json("POST", f"{self.url}/_emulator/latency", {"latency_ms": latency_ms})
        self.latency_ms = latency_ms

    def timing(self) -> dict[str, Any]:
        return _http_json("GET", f"{self.url}/_emulator/timing")

    def backdate(self, account_id: str, region: str, resource_id: str, days_ago: float) -> dict[str, Any]:
        return backdate_remote(self.url, account_id, region, resource_id, days_ago)

    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }


def backdate_remote(endpoint_url: str, account_id: str, region: str, resource_id: str, days_ago: float) -> dict[str, Any]:
    """``POST /_emulator/backdate`` on a running emulator."""
    return _http_json("POST", f"{endpoint_url.rstrip('/')}/_emulator/backdate",
                      {"account_id": account_id, "region": region, "resource_id": resource_id, "days_ago": days_ago})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cloud_inventory.demo.emulator", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (0.0.0.0 only inside a container network, e.g. docker compose)")
    parser.add_argument("--latency-ms", type=float, default=0, help="delay added before every AWS request")
    parser.add_argument("--seed-demo", action="store_true", help="seed the demo estate (day 0) before announcing")
    args = parser.parse_args(argv)

    server, _app = make_emulator_server(args.port, args.latency_ms, args.host)
    url = f"http://127.0.0.1:{server.server_port}"

    def on_signal(signum: int, _frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        if args.seed_demo:
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            from cloud_inventory.demo.estate import seed

            summary = seed(url, 0)
            print(f"seeded demo estate: {json.dumps(summary, default=str)[:2000]}", file=sys.stderr, flush=True)
            print(f"EMULATOR_URL={url}", flush=True)
            while thread.is_alive():
                thread.join(0.5)
        else:
            print(f"EMULATOR_URL={url}", flush=True)
            server.serve_forever()
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
