"""redaction.py: the declared secret fields, the scrubber and its patterns (a hit and a near miss each), JSON
that stays JSON, and botocore's answers of every registry entry checked against the declared list."""
from __future__ import annotations

import copy
import json
import random
import re
from datetime import date, datetime, timezone

import botocore.session
import pytest
from botocore import xform_name

from cloud_inventory import redaction
from cloud_inventory.aws.errors import redact as redact_error_message
from cloud_inventory.aws.registry import BY_NAME, REGISTRY
from cloud_inventory.aws.transform import to_row as aws_row
from cloud_inventory.k8s.kinds import BY_KIND, to_row as k8s_row
from cloud_inventory.redaction import MARKER, REDACTED, parse_path, redact_k8s, scrub, scrub_json, scrub_message
from cloud_inventory.values import to_json

CONTEXT = {"cluster": "prod-eks", "account_id": "111111111111", "region": "us-east-1",
           "dump_at": datetime(2026, 11, 20, 8, tzinfo=timezone.utc), "snapshot_date": date(2026, 11, 20)}
# every kind with a pod template, and where its pod spec is
POD_SPECS = {"Pod": ("spec",), "Deployment": ("spec", "template", "spec"), "ReplicaSet": ("spec", "template", "spec"),
             "StatefulSet": ("spec", "template", "spec"), "DaemonSet": ("spec", "template", "spec"),
             "Job": ("spec", "template", "spec"), "CronJob": ("spec", "jobTemplate", "spec", "template", "spec")}
API_VERSIONS = {"Pod": "v1", "Job": "batch/v1", "CronJob": "batch/v1"}


# --- the declared list ---------------------------------------------------------------------------------

def test_every_declared_path_reads_and_every_aws_type_is_in_the_registry():
    for entry in REDACTED:
        assert parse_path(entry.path), entry
        assert entry.why, entry
        if entry.source == "aws":
            assert entry.type in BY_NAME, f"{entry.type}: not a registry entry"


def test_every_kind_with_a_pod_template_has_the_env_of_all_its_containers_declared():
    declared = {(entry.type, entry.path) for entry in REDACTED if entry.source == "k8s"}
    for kind, spec in POD_SPECS.items():
        for containers in ("containers", "initContainers", "ephemeralContainers"):
            assert (kind, ".".join(spec) + f".{containers}[].env[].value") in declared, (kind, containers)
    assert set(POD_SPECS) - {"Pod"} <= set(BY_KIND)  # the workload kinds are kinds we have tables for


@pytest.mark.parametrize("path, steps", [
    ("Environment.Variables.*", ("Environment", "Variables", "*")),
    ("spec.containers[].env[].value", ("spec", "containers", "[]", "env", "[]", "value")),
    ('metadata.annotations."kubectl.kubernetes.io/last-applied-configuration"',
     ("metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration")),
    ("**.<credential>", ("**", "<credential>")),
])
def test_paths(path, steps):
    assert parse_path(path) == steps


@pytest.mark.parametrize("path", ["", "a..b", "a.[]", 'a."b', "a[]b", ".a"])
def test_a_path_that_does_not_read_is_refused(path):
    with pytest.raises(ValueError, match="redaction path"):
        parse_path(path)


# --- Kubernetes objects through k8s/kinds.py's to_row ----------------------------------------------------

def _containers(tag: str) -> dict:
    def env(kind: str) -> list[dict]:
        return [{"name": "DB_PASSWORD", "value": f"{tag}-{kind}-secret"},
                {"name": "DB_PASSWORD_REF", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]
    return {"containers": [{"name": "app", "image": "app:1", "env": env("app")}],
            "initContainers": [{"name": "migrate", "image": "app:1", "env": env("init")}],
            "ephemeralContainers": [{"name": "debug", "image": "busybox", "env": env("debug")}],
            "volumes": [{"name": "tls", "secret": {"secretName": "web-tls"}}]}


def _workload(kind: str) -> dict:
    obj = {"apiVersion": API_VERSIONS.get(kind, "apps/v1"), "kind": kind,
           "metadata": {"name": f"web-{kind.lower()}", "namespace": "shop", "annotations": {
               "kubectl.kubernetes.io/last-applied-configuration": f'{{"env":[{{"value":"{kind}-applied-secret"}}]}}',
               "example.com/db-password": f"{kind}-annotation-secret", "example.com/owner": "team-web"}}}
    node = obj
    for key in POD_SPECS[kind][:-1]:
        node = node.setdefault(key, {})
    node[POD_SPECS[kind][-1]] = _containers(kind)
    return obj


@pytest.mark.parametrize("kind", sorted(POD_SPECS))
def test_env_values_of_every_container_and_the_last_applied_annotation_of_every_workload_are_redacted(kind):
    obj = _workload(kind)
    before = copy.deepcopy(obj)
    _, row = k8s_row(obj, CONTEXT)
    text = json.dumps(row, default=str)
    assert "-secret" not in text, text
    raw = json.loads(row["raw"])
    spec = raw
    for key in POD_SPECS[kind]:
        spec = spec[key]
    for containers in ("containers", "initContainers", "ephemeralContainers"):
        assert spec[containers][0]["env"] == [
            {"name": "DB_PASSWORD", "value": MARKER},
            {"name": "DB_PASSWORD_REF", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]
    assert spec["volumes"] == [{"name": "tls", "secret": {"secretName": "web-tls"}}]  # references stay
    assert raw["metadata"]["annotations"] == {"kubectl.kubernetes.io/last-applied-configuration": MARKER,
                                              "example.com/db-password": MARKER, "example.com/owner": "team-web"}
    assert obj == before  # the parser's object is not changed in place


def test_secret_and_configmap_data_are_redacted_keys_kept():
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {"name": "db", "namespace": "shop"},
              "data": {"password": "aHVudGVyMg=="}, "stringData": {"user": "hunter2-user"}}
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app", "namespace": "shop"},
              "data": {"app.yaml": "db:\n  host: db\n  pass: hunter3"}, "binaryData": {"blob": "aHVudGVyNA=="}}
    for obj in (secret, config):
        table, row = k8s_row(obj, CONTEXT)
        assert table == "other"
        assert not re.search(r"aHVudGVy|hunter", row["raw"])
    assert json.loads(k8s_row(secret, CONTEXT)[1]["raw"])["data"] == {"password": MARKER}
    assert json.loads(k8s_row(config, CONTEXT)[1]["raw"])["binaryData"] == {"blob": MARKER}


def test_a_kind_without_an_entry_has_its_env_lists_and_credential_members_redacted_anywhere():
    rollout = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"template": {"spec": {"containers": [{"name": "app", "env": [
                   {"name": "API_TOKEN", "value": "rollout-env-secret"},
                   {"name": "REF", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}}]}]}},
                        "analysis": [{"args": [{"name": "x", "value": "keep-me"}], "clientSecret": "rollout-member-secret",
                                      "secretName": "keep-name", "tokenExpiry": "1h",
                                      "token": {"path": "keep-path"}}]}}
    table, row = k8s_row(rollout, CONTEXT)
    raw = json.loads(row["raw"])
    assert table == "other" and "rollout-" not in row["raw"]
    assert raw["spec"]["template"]["spec"]["containers"][0]["env"][0] == {"name": "API_TOKEN", "value": MARKER}
    assert raw["spec"]["analysis"][0] == {"args": [{"name": "x", "value": "keep-me"}], "clientSecret": MARKER,
                                          "secretName": "keep-name", "tokenExpiry": "1h",
                                          "token": {"path": "keep-path"}}


def test_a_workload_of_another_api_group_is_redacted_by_its_kind_too():
    obj = _workload("Deployment")
    obj["apiVersion"] = "extensions/v1beta1"  # not the core group: table `other`, the same redaction
    table, row = k8s_row(obj, CONTEXT)
    assert table == "other" and "-secret" not in row["raw"]


# --- AWS items through aws/transform.py's to_row ------------------------------------------------------

def _aws(name: str, item: dict) -> dict:
    return aws_row(BY_NAME[name], item, account_id="111111111111", region="us-east-1", snapshot_date=date(2026, 11, 20),
                   snapshot_at=datetime(2026, 11, 20, tzinfo=timezone.utc), run_id="run-1")


def test_lambda_environment_values_are_redacted_names_kept():
    item = {"FunctionName": "orders", "FunctionArn": "arn:aws:lambda:us-east-1:111111111111:function:orders",
            "Environment": {"Variables": {"DB_PASSWORD": "lambda-secret-1", "LOG_LEVEL": "debug"}}}
    before = copy.deepcopy(item)
    row = _aws("lambda_function", item)
    assert json.loads(row["raw"])["Environment"] == {"Variables": {"DB_PASSWORD": MARKER, "LOG_LEVEL": MARKER}}
    assert item == before


def test_every_string_column_of_an_aws_row_is_scrubbed():
    row = _aws("ec2_instance", {"InstanceId": "i-0abc", "State": {"Name": "running"}, "Tags": [
        {"Key": "Name", "Value": "bastion password=tag-secret-1"}, {"Key": "note", "Value": "key AKIAIOSFODNN7EXAMPLE"}]})
    text = json.dumps(row, default=str)
    assert "tag-secret-1" not in text and "AKIAIOSFODNN7EXAMPLE" not in text
    assert row["name"] == f"bastion password={MARKER}" and row["tags"]["note"] == f"key AKIA{MARKER}"


def test_every_string_column_of_a_k8s_row_is_scrubbed():
    event = {"apiVersion": "v1", "kind": "Event", "type": "Warning", "reason": "Failed",
             "metadata": {"name": "web.1", "namespace": "shop", "labels": {"note": "password=label-secret-1"}},
             "message": "pull failed: postgres://app:event-secret-1@db/x token=event-secret-2",
             "involvedObject": {"kind": "Pod", "name": "web"}}
    _, row = k8s_row(event, CONTEXT)
    assert "secret-1" not in json.dumps(row, default=str) and "event-secret-2" not in row["raw"]
    assert row["message"] == f"pull failed: postgres://app:{MARKER}@db/x token={MARKER}"
    assert row["labels"] == {"note": f"password={MARKER}"}


# --- the scrubber: one hit and one near miss per pattern --------------------------------------------------

HITS = [  # (text, the secret in it)
    ("key AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
    ("temporary ASIAY34FZKBOKMUTVV7A used", "ASIAY34FZKBOKMUTVV7A"),
    ("first line\nAKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAhunter\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEAhunter"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEhunter", "b3BlbnNzaC1rZXktdjEhunter"),  # cut short
    ("password=hunter2 and more", "hunter2"),
    ("--db-passwd=hunter2", "hunter2"),
    ("mysql -u app -pwd=hunter2", "hunter2"),
    ("client_secret=hunter2&grant_type=x", "hunter2"),
    ("X-Amz-Security-Token=IQoJb3Jp//hunter2&x=1", "IQoJb3Jp//hunter2"),
    ("api_key: hunter2", "hunter2"),
    ("API-KEY = 'hunter2'", "hunter2"),
    ("DB_PASSWORD: hunter2", "hunter2"),
    ('config {"password":"hunter2","user":"app"}', "hunter2"),
    ('config {"Password": "hunter2"}', "hunter2"),
    ("{'SessionToken': 'hunter2', 'x': 1}", "hunter2"),
    ('password:"hunter2"', "hunter2"),
    ("Server=db;User Id=app;Password=hunter2;", "hunter2"),
    ("postgres://app:hunter2@db.internal:5432/x", "hunter2"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcHAifQ.hunter2sig", "eyJhbGciOiJIUzI1NiJ9"),
    ("curl -H 'authorization: bearer ya29.a0AfH6SMBhunter2xyz'", "ya29.a0AfH6SMBhunter2xyz"),
    ("redis://:hunter2@cache:6379", None),  # no user: not the URL pattern's shape (and no name=value)
]
NEAR_MISSES = [
    "AKIAIOSFODNN7EXAMPL",  # 19 characters
    "AKIAIOSFODNN7EXAMPLE1",  # 21
    "xAKIAIOSFODNN7EXAMPLE",  # inside a longer token
    "akiaiosfodnn7example",
    "AROAIOSFODNN7EXAMPLE1 is a role's unique id, AIDAIOSFODNN7EXAMPLE a user's",
    "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----",
    "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
    "secretName: my-secret",
    "tokenExpiry: 3600",
    "passwordPolicy=strict",
    "token:80",
    "auth-token:8080/TCP",
    "the secret is in vault",
    "secretKeyRef: {name: db, key: password}",
    "password= ",
    "https://user@example.com/path",
    "containerd://4f1d2c3b",
    "registry/app@sha256:0a1b2c",
    "arn:aws:iam::123456789012:role/secret-reader",
    "2a4f0c19d6a8e4f7b1c3d5e7f9a1b3c5d7e9f1a3",  # a 40-character commit id: data keeps it
    "the API uses bearer authentication",  # a word after "bearer", not a token
    "Bearer token missing",
]


@pytest.mark.parametrize("text, secret", HITS)
def test_the_scrubber_masks_each_pattern(text, secret):
    masked = scrub(text)
    if secret is None:
        assert masked == text
        return
    assert secret not in masked and MARKER in masked
    as_json = scrub_json(to_json({"value": text}))
    assert secret not in as_json and MARKER in json.loads(as_json)["value"]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_the_scrubber_keeps_what_only_looks_like_a_credential(text):
    assert scrub(text) == text
    encoded = to_json({"value": text})
    assert scrub_json(encoded) == encoded


def test_what_is_masked_keeps_the_names_and_separators_around_it():
    assert scrub("a password=hunter2 b") == f"a password={MARKER} b"
    assert scrub("key AKIAIOSFODNN7EXAMPLE.") == f"key AKIA{MARKER}."
    assert scrub("postgres://app:hunter2@db/x") == f"postgres://app:{MARKER}@db/x"
    assert scrub("-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\nnext") == f"{MARKER}\nnext"
    assert scrub(scrub("password=hunter2")) == f"password={MARKER}"  # idempotent


def test_members_named_like_credentials_in_json_text_are_structure_not_text():
    """In raw, `"password":"x"` is an object member: REDACTED's rules decide (the scan would cost every colon)."""
    text = to_json({"password": "kept-by-the-scrubber", "note": 'inline {"password":"masked"}'})
    assert json.loads(scrub_json(text)) == {"password": "kept-by-the-scrubber", "note": f'inline {{"password":"{MARKER}"}}'}


def test_error_messages_use_the_same_scrubber_plus_lone_secret_keys():
    assert redact_error_message("postgres://app:hunter2@db/x") == f"postgres://app:{MARKER}@db/x"
    lone = "denied: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY."
    assert scrub_message(lone) == f"denied: {MARKER}." and scrub(lone) == lone


# --- JSON stays JSON ------------------------------------------------------------------------------------

TRICKY = [
    'password=a"b', 'password=a\\"b', "password=a\\", 'password=\\"x\\"', "password=\u00e9t\u00e9\u2603 x",
    '{"password":"x"}', '{\\"password\\":\\"x\\"}', 'password:\\"x', "password: \"x\" y", "'token': 'x'",
    "-----BEGIN PRIVATE KEY-----\nab\"cd", "-----BEGIN PRIVATE KEY-----\nab\\cd", "-----BEGIN PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----\nab\n-----END PRIVATE KEY-----\"", "AKIAIOSFODNN7EXAMPLE\"", "\tAKIAIOSFODNN7EXAMPLE",
    "postgres://a:b\"c@d", "postgres://a:b@", "x=\\u0041", "token=\\", "\\\\\\\"password\\\\\": x",
]


def test_scrubbed_json_is_json_for_tricky_text():
    for text in TRICKY:
        obj = {"a": text, text: [text, {"password": text}], "n": 1}
        encoded = to_json(obj)
        decoded = json.loads(scrub_json(encoded))  # raises if the scrubber broke the JSON
        assert decoded["n"] == 1 and len(decoded) == 3, text


def test_scrubbed_json_is_json_for_random_text():
    rng = random.Random(13)
    pieces = ["password", "Token", "pwd", "secret", "api_key", "=", ":", " ", '"', "'", "\\", "\\\"", "\n", "@", "://",
              "AKIA", "ASIA", "IOSFODNN7EXAMPLE", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----",
              "x", "\u00e9", "&", ",", ";", "{", "}", "[", "]", "\\u0041"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 14)))
        encoded = to_json({"k": text, "l": [text, {text: text}]})
        scrubbed = scrub_json(encoded)
        decoded = json.loads(scrubbed)
        assert set(decoded) == {"k", "l"}, (text, scrubbed)


# --- every AWS answer checked against the declared list ---------------------------------------------------

# Member names that suggest a secret; each one in an item must be redacted (REDACTED) or reviewed here.
SECRET_LOOKING = re.compile(r"(?i)environment|variables|passw|secret|token|credential|private_?key|user_?data"
                            r"|api_?key|passphrase|activation_?code|auth_?key|signature")
REVIEWED = {  # (resource type, path in the item, or "<operation>:<path>" for custom fetchers): why it is kept
    ("ec2_instance", "ClientToken"): "the idempotency token of the RunInstances call, not a credential",
    ("ec2_instance", "MetadataOptions.HttpTokens"): "whether IMDSv2 is required (required/optional)",
    ("rds_instance", "TdeCredentialArn"): "an ARN",
    ("rds_instance", "DomainMemberships[].AuthSecretArn"): "an ARN",
    ("rds_instance", "MasterUserSecret"): "the Secrets Manager ARN, status and KMS key id, not the secret",
    ("rds_cluster", "DomainMemberships[].AuthSecretArn"): "an ARN",
    ("rds_cluster", "MasterUserSecret"): "the Secrets Manager ARN, status and KMS key id, not the secret",
    ("rds_snapshot", "TdeCredentialArn"): "an ARN",
    ("eks_cluster", "clientRequestToken"): "the idempotency token of a request, not a credential",
    ("redshift_cluster", "MasterPasswordSecretArn"): "an ARN",
    ("redshift_cluster", "MasterPasswordSecretKmsKeyId"): "a KMS key id",
    ("lambda_function", "CapacityProviderConfig.LambdaManagedInstancesCapacityProviderConfig"
                        ".PerExecutionEnvironmentMaxConcurrency"): "a number",
    ("lambda_function", "CapacityProviderConfig.LambdaManagedInstancesCapacityProviderConfig"
                        ".ExecutionEnvironmentMemoryGiBPerVCpu"): "a number",
    ("log_group", "bearerTokenAuthenticationEnabled"): "a boolean",
    ("ec2_instance_metric", "get_metric_data:NextToken"): "the fetcher's pagination token, never in an item",
    ("ec2_instance_metric", "list_metrics:NextToken"): "the fetcher's pagination token, never in an item",
    ("rds_instance_metric", "get_metric_data:NextToken"): "the fetcher's pagination token, never in an item",
    ("log_group_metric", "get_metric_data:NextToken"): "the fetcher's pagination token, never in an item",
    ("nat_gateway_metric", "get_metric_data:NextToken"): "the fetcher's pagination token, never in an item",
    ("ec2_instance_type", "describe_instance_types:NextToken"): "the fetcher's pagination token, never in an item",
    ("ce_service_cost", "get_cost_and_usage:NextPageToken"): "the fetcher's pagination token, never in an item",
}


def _output(service: str, operation: str):
    model = botocore.session.get_session().get_service_model(service)
    api_name = next(name for name in model.operation_names if xform_name(name) == operation)
    return model.operation_model(api_name).output_shape


def _follow(shape, jmespath: str):
    """The shape a simple JMESPath (`A.B[]`, `A[].B[]`) selects; `[]` steps into a list's member."""
    for part in jmespath.split("."):
        name, lists = part.rstrip("[]"), part.count("[]")
        shape = shape.members[name]
        for _ in range(lists):
            shape = shape.member
    return shape


def _walk(shape, path: str, seen: frozenset, found: dict[str, str]) -> None:
    """Every member path under `shape` (`A.B`, lists `A[]`, map values `A.*`) -> its member name."""
    if shape.type_name == "structure":
        if shape.name in seen:  # recursive shapes
            return
        for name, member in shape.members.items():
            child = f"{path}.{name}" if path else name
            found[child] = name
            _walk(member, child, seen | {shape.name}, found)
    elif shape.type_name == "list":
        found[path + "[]"] = ""
        _walk(shape.member, path + "[]", seen, found)
    elif shape.type_name == "map":
        found[path + ".*"] = ""
        _walk(shape.value, path + ".*", seen, found)


def item_paths(entry) -> dict[str, str]:
    """What an entry's items hold, as botocore describes it: the list operation's items, details, tags."""
    found: dict[str, str] = {}
    if entry.fetch:  # a custom fetcher builds its items: every call's whole answer
        for service, operation in entry.api_operations():
            paths: dict[str, str] = {}
            _walk(_output(service, operation), "", frozenset(), paths)
            found.update({f"{operation}:{path}": name for path, name in paths.items()})
        return found
    item = _follow(_output(entry.service, entry.operation), entry.items)
    extra = {}
    for detail in entry.details:
        result = _output(entry.service, detail.operation)
        result = _follow(result, detail.result) if detail.result else result
        if detail.into is None:
            item = result
        else:
            extra[detail.into] = result
    if entry.tag_lookup:
        extra["Tags"] = _follow(_output(entry.service, entry.tag_lookup.operation), entry.tag_lookup.result + "[]")
        extra["Tags"] = extra["Tags"].members["Tags"]
    _walk(item, "", frozenset(), found)
    for key, shape in extra.items():
        found[key] = key
        _walk(shape, key, frozenset(), found)
    return found


def _within(path: str, outer: str) -> bool:
    return path == outer or path.startswith(outer + ".") or path.startswith(outer + "[]")


def test_every_secret_looking_member_of_every_aws_answer_is_redacted_or_reviewed():
    declared = {(entry.type, entry.path) for entry in REDACTED if entry.source == "aws"}
    unexplained, reviewed_seen = [], set()
    for entry in REGISTRY:
        paths = item_paths(entry)
        for resource_type, path in declared:
            if resource_type == entry.name:  # a declared path names something the API returns
                assert path in paths, f"{resource_type}: REDACTED's {path!r} is not in botocore's answer"
        mine = [path for resource_type, path in declared if resource_type == entry.name]
        for path, name in paths.items():
            if not SECRET_LOOKING.search(name):
                continue
            if any(_within(path, d) or _within(d, path) for d in mine):
                continue
            review = next(((t, r) for t, r in REVIEWED if t == entry.name and _within(path, r)), None)
            if review is None:
                unexplained.append(f"{entry.name}: {path}")
            else:
                reviewed_seen.add(review)
    assert not unexplained, ("members that may hold secrets: add each to redaction.REDACTED, or to REVIEWED here with "
                             "the reason it is safe to keep: " + ", ".join(unexplained))
    assert reviewed_seen == set(REVIEWED), f"reviewed but no longer returned: {set(REVIEWED) - reviewed_seen}"


def test_the_check_finds_a_secret_in_a_new_type_nobody_declared():
    """The check above is only as good as its walk: an ECS task definition would be caught."""
    from cloud_inventory.aws.registry import ResourceType

    entry = ResourceType("ecs_task_definition", "ecs", "describe_task_definition", "taskDefinition", id="family")
    paths = item_paths(entry)
    assert "containerDefinitions[].environment[].value" in paths
    assert any(SECRET_LOOKING.search(name) for name in paths.values())


def test_redact_aws_for_a_type_without_declared_fields_returns_the_item_itself():
    item = {"VpcId": "vpc-1"}
    assert redaction.redact_aws("vpc", item) is item
    assert redact_k8s({"kind": "Namespace", "metadata": {"name": "x"}}, listed=True) == {
        "kind": "Namespace", "metadata": {"name": "x"}}
