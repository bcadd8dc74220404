"""include/iam/: the policies grant exactly what the code calls, the StackSet matches them, cfn-lint is clean."""
from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cloud_inventory import iam
from cloud_inventory.aws.registry import REGISTRY, ResourceType, iam_action

JSON_POLICIES = sorted(path.name for path in iam.IAM_DIR.glob("*.json"))
PIPELINE_ROLE = "arn:aws:iam::<INVENTORY_ACCOUNT_ID>:role/cloud-inventory-airflow"
ACTION_NAME = re.compile(r"^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$")


@pytest.fixture(scope="module")
def readonly_policy() -> dict:
    return iam.load_policy(iam.READONLY_POLICY_FILE)


@pytest.fixture(scope="module")
def template() -> dict:
    return iam.load_template()


@pytest.fixture(scope="module")
def bucket_policy() -> dict:
    return iam.load_policy(iam.DROPBOX_BUCKET_POLICY_FILE)


# --- the read-only policy against the registry --------------------------------------------------------


def test_all_five_files_are_there():
    for name in (iam.READONLY_POLICY_FILE, iam.READONLY_TRUST_FILE, iam.ORGANIZATIONS_POLICY_FILE,
                 iam.DROPBOX_BUCKET_POLICY_FILE, iam.STACKSET_TEMPLATE_FILE, "README.md"):
        assert (iam.IAM_DIR / name).is_file(), name


def test_readonly_policy_grants_exactly_what_the_registry_calls(readonly_policy):
    drift = iam.policy_drift(readonly_policy)
    assert drift.ok, f"{iam.READONLY_POLICY_FILE} drifted from the registry: {drift}"


def test_required_actions_are_every_entry_call_plus_region_discovery_and_the_price_list():
    expected = {iam_action(service, operation) for entry in REGISTRY for service, operation in entry.api_operations()}
    expected |= {"ec2:DescribeRegions", "pricing:GetProducts"}
    assert iam.required_actions() == sorted(expected)
    assert all(ACTION_NAME.match(action) for action in expected), expected


@pytest.mark.parametrize("call, action", [
    (("s3", "list_buckets"), "s3:ListAllMyBuckets"),
    (("s3", "get_bucket_location"), "s3:GetBucketLocation"),
    (("s3", "get_bucket_tagging"), "s3:GetBucketTagging"),
    (("lambda", "list_functions"), "lambda:ListFunctions"),
    (("cloudwatch", "get_metric_data"), "cloudwatch:GetMetricData"),
    (("cloudwatch", "list_metrics"), "cloudwatch:ListMetrics"),
    (("elb", "describe_tags"), "elasticloadbalancing:DescribeTags"),
    (("elbv2", "describe_tags"), "elasticloadbalancing:DescribeTags"),
    (("elbv2", "describe_target_health"), "elasticloadbalancing:DescribeTargetHealth"),
    (("logs", "describe_log_groups"), "logs:DescribeLogGroups"),
    (("cloudfront", "list_distributions"), "cloudfront:ListDistributions"),
])
def test_iam_names_where_they_differ_from_the_api(call, action):
    assert iam_action(*call) == action
    assert action in iam.required_actions()


def test_policy_file_is_what_the_generator_writes(readonly_policy):
    """Sorted, one statement with a Sid, Resource "*": regenerating it changes nothing."""
    assert readonly_policy == iam.readonly_policy()
    (statement,) = readonly_policy["Statement"]
    assert statement["Sid"] and statement["Effect"] == "Allow" and statement["Resource"] == "*"
    assert statement["Action"] == sorted(set(statement["Action"]))


def test_drift_check_reports_a_dropped_action(readonly_policy):
    policy = copy.deepcopy(readonly_policy)
    policy["Statement"][0]["Action"].remove("elasticloadbalancing:DescribeTags")
    drift = iam.policy_drift(policy)
    assert not drift.ok
    assert drift.missing == ("elasticloadbalancing:DescribeTags",) and drift.extra == ()
    assert "elasticloadbalancing:DescribeTags" in str(drift)
    assert "elasticloadbalancing:DescribeTags" in readonly_policy["Statement"][0]["Action"]  # the copy changed


def test_drift_check_reports_a_granted_but_unused_action(readonly_policy):
    policy = copy.deepcopy(readonly_policy)
    policy["Statement"][0]["Action"].append("ec2:DeleteVolume")
    drift = iam.policy_drift(policy)
    assert drift.extra == ("ec2:DeleteVolume",) and drift.missing == ()


def test_drift_check_reports_a_new_registry_entry_without_its_action(readonly_policy):
    registry = REGISTRY + (ResourceType("key_pair", "ec2", "describe_key_pairs", "KeyPairs[]", id="KeyPairId"),
                           ResourceType("ecr_repository", "ecr", "describe_repositories", "repositories[]",
                                        id="repositoryName"))
    drift = iam.policy_drift(readonly_policy, registry)
    assert drift.missing == ("ec2:DescribeKeyPairs", "ecr:DescribeRepositories") and drift.extra == ()
    assert iam.policy_drift(readonly_policy).ok  # the real registry is untouched


def test_drift_check_reports_a_removed_registry_entry(readonly_policy):
    registry = tuple(entry for entry in REGISTRY if entry.name != "lambda_function")
    drift = iam.policy_drift(readonly_policy, registry)
    assert drift.extra == ("lambda:ListFunctions",) and drift.missing == ()


def test_check_files_is_clean():
    assert iam.check_files() == []


# --- the StackSet template ---------------------------------------------------------------------------------


def test_template_permission_policy_equals_the_json_policy(template, readonly_policy):
    inline = iam.template_policy(template)
    assert iam.compare(iam.policy_actions(inline), iam.policy_actions(readonly_policy)).ok
    assert inline == readonly_policy  # same Sid, Effect, Resource and order, too


def test_template_comparison_reports_a_difference(template, readonly_policy):
    mutated = copy.deepcopy(template)
    actions = iam.template_policy(mutated)["Statement"][0]["Action"]
    actions.remove("s3:ListAllMyBuckets")
    actions.append("s3:GetObject")
    drift = iam.compare(iam.policy_actions(iam.template_policy(mutated)), iam.policy_actions(readonly_policy))
    assert drift.missing == ("s3:ListAllMyBuckets",) and drift.extra == ("s3:GetObject",)


def test_template_trust_requires_the_external_id(template):
    role = iam.template_role(template)
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"AWS": {"Ref": "InventoryPrincipalArn"}}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    assert template["Parameters"]["ExternalId"]["NoEcho"] is True


def test_template_is_stackset_ready():
    """Nothing account-specific: no account ids, no ARNs except through parameters."""
    text = (iam.IAM_DIR / iam.STACKSET_TEMPLATE_FILE).read_text()
    assert not re.search(r"\b\d{12}\b", text)
    assert "arn:aws" not in text.replace('"^arn:aws[a-z-]*:iam::', "")


def test_cfn_lint_is_clean():
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    assert cfn_lint.exists(), f"{cfn_lint} is missing: is requirements.txt installed in the venv?"
    result = subprocess.run([str(cfn_lint), str(iam.IAM_DIR / iam.STACKSET_TEMPLATE_FILE)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"cfn-lint failed:\n{result.stdout}{result.stderr}"


# --- the other policies ----------------------------------------------------------------------------------


def test_json_trust_policy_requires_the_external_id():
    trust = iam.load_policy(iam.READONLY_TRUST_FILE)
    (statement,) = trust["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"AWS": PIPELINE_ROLE}
    assert set(statement["Condition"]["StringEquals"]) == {"sts:ExternalId"}


def test_organizations_policy_is_list_accounts_and_their_tags():
    policy = iam.load_policy(iam.ORGANIZATIONS_POLICY_FILE)
    assert iam.policy_actions(policy) == sorted(iam.ORGANIZATIONS_ACTIONS)
    assert {iam_action("organizations", op) for op in ("list_accounts", "list_tags_for_resource")} \
        == set(iam.ORGANIZATIONS_ACTIONS)
    assert all(statement["Resource"] == "*" for statement in policy["Statement"])


@pytest.mark.parametrize("name", JSON_POLICIES)
def test_json_policy_is_valid_without_wildcard_grants(name):
    policy = json.loads((iam.IAM_DIR / name).read_text())
    assert policy["Version"] == "2012-10-17"
    assert policy["Statement"] and all(statement.get("Sid") for statement in policy["Statement"])
    sids = [statement["Sid"] for statement in policy["Statement"]]
    assert len(sids) == len(set(sids))
    assert iam.wildcard_actions(policy, "Allow") == []
    # The one wildcard allowed anywhere: denying every S3 action without TLS (only narrows access).
    assert iam.wildcard_actions(policy, "Deny") in ([], ["s3:*"])


def test_wildcard_check_finds_wildcards(readonly_policy):
    policy = copy.deepcopy(readonly_policy)
    policy["Statement"][0]["Action"].append("ec2:Describe*")
    assert iam.wildcard_actions(policy) == ["ec2:Describe*"]


def _statement(policy: dict, sid: str) -> dict:
    return next(statement for statement in policy["Statement"] if statement["Sid"] == sid)


def test_bucket_policy_denies_insecure_transport_and_unencrypted_puts(bucket_policy):
    tls = _statement(bucket_policy, "DenyInsecureTransport")
    assert tls["Effect"] == "Deny" and tls["Principal"] == "*"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    sse = _statement(bucket_policy, "DenyUnencryptedPut")
    assert sse["Effect"] == "Deny" and sse["Action"] == "s3:PutObject" and sse["Principal"] == "*"
    assert sse["Condition"] == {"Null": {"s3:x-amz-server-side-encryption": "true"}}


def test_bucket_policy_keeps_bastions_in_their_own_cluster_prefix(bucket_policy):
    own_prefix = "arn:aws:s3:::<DUMPS_BUCKET>/<DUMPS_PREFIX>/cluster=${aws:PrincipalTag/cluster}/*"
    allow = _statement(bucket_policy, "BastionPutOwnClusterPrefix")
    assert allow["Effect"] == "Allow" and allow["Resource"] == own_prefix
    assert set(iam._as_list(allow["Action"])) == {"s3:PutObject", "s3:AbortMultipartUpload"}
    outside = _statement(bucket_policy, "DenyBastionOutsideOwnClusterPrefix")
    assert outside["Effect"] == "Deny" and outside["NotResource"] == own_prefix
    assert _statement(bucket_policy, "DenyBastionWithoutClusterTag")["Condition"]["Null"] \
        == {"aws:PrincipalTag/cluster": "true"}
    assert _statement(bucket_policy, "DenyBastionAnythingButPut")["Effect"] == "Deny"


def test_bastion_role_may_only_put_encrypted_dumps_under_its_own_cluster_prefix(bucket_policy):
    policy = iam.load_policy("bastion-dump-policy.json")
    (statement,) = policy["Statement"]
    bucket_side = _statement(bucket_policy, "BastionPutOwnClusterPrefix")
    assert statement["Effect"] == "Allow" and statement["Resource"] == bucket_side["Resource"]
    assert set(iam._as_list(statement["Action"])) == set(iam._as_list(bucket_side["Action"]))
    assert statement["Condition"]["StringEquals"] == {"s3:x-amz-server-side-encryption": "AES256"}
    assert statement["Condition"]["Null"] == {"aws:PrincipalTag/cluster": "false"}


def test_bucket_policy_lets_the_pipeline_read_and_write_only_quarantine(bucket_policy):
    granted = {}
    for statement in bucket_policy["Statement"]:
        if statement["Effect"] == "Allow" and statement["Principal"] == {"AWS": PIPELINE_ROLE}:
            for action in iam._as_list(statement["Action"]):
                granted.setdefault(action, set()).update(iam._as_list(statement["Resource"]))
    assert granted == {
        "s3:ListBucket": {"arn:aws:s3:::<DUMPS_BUCKET>"},
        "s3:GetObject": {"arn:aws:s3:::<DUMPS_BUCKET>/<DUMPS_PREFIX>/*"},
        "s3:PutObject": {"arn:aws:s3:::<DUMPS_BUCKET>/<DUMPS_PREFIX>/quarantine/*"},
    }
    deny = _statement(bucket_policy, "DenyPipelineWriteOutsideQuarantine")
    assert deny["NotResource"] == "arn:aws:s3:::<DUMPS_BUCKET>/<DUMPS_PREFIX>/quarantine/*"
    assert deny["Condition"] == {"ArnEquals": {"aws:PrincipalArn": PIPELINE_ROLE}}


def test_readme_documents_every_placeholder():
    readme = (iam.IAM_DIR / "README.md").read_text()
    placeholders = set()
    for path in iam.IAM_DIR.glob("*.json"):
        placeholders.update(re.findall(r"<[A-Z_]+>", path.read_text()))
    assert placeholders
    assert sorted(p for p in placeholders if p not in readme) == []
