"""The IAM actions the inventory needs, computed from the registry, and checks of the policies in include/iam/.

The read-only role's policy must list exactly what the extractor calls: every registry entry's
`api_operations()` through `iam_action`, plus the planning calls the pipeline makes with the same
role (region discovery) and the aws_prices DAG's `pricing:GetProducts`. `policy_drift` compares a
policy document with that set, so a new registry entry without its action (or a stale action left
behind) fails the tests instead of failing in an account at 3 a.m.

    python -m cloud_inventory.iam            # prints the permission policy the registry needs
    python -m cloud_inventory.iam --check    # exit 1 (and say what differs) if include/iam/ has drifted
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

IAM_DIR = Path(__file__).resolve().parents[2] / "include" / "iam"
READONLY_POLICY_FILE = "inventory-readonly-policy.json"
READONLY_TRUST_FILE = "inventory-readonly-trust-policy.json"
ORGANIZATIONS_POLICY_FILE = "organizations-readonly-policy.json"
DROPBOX_BUCKET_POLICY_FILE = "dropbox-bucket-policy.json"
STACKSET_TEMPLATE_FILE = "inventory-role-stackset.yaml"
POLICY_VERSION = "2012-10-17"
READONLY_SID = "CloudInventoryReadOnly"

# Calls made with the member role besides the registry's: `enabled_regions` for `regions: all`.
PLANNING_ACTIONS: tuple[str, ...] = ("ec2:DescribeRegions",)
# Calls made with the management account's role: `organization_members`.
ORGANIZATIONS_ACTIONS: tuple[str, ...] = ("organizations:ListAccounts", "organizations:ListTagsForResource")


@dataclass(frozen=True)
class PolicyDrift:
    """What a policy lacks (the code calls it) and what it grants beyond the need."""

    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.missing and not self.extra

    def __str__(self) -> str:
        if self.ok:
            return "policy matches the required actions"
        parts = []
        if self.missing:
            parts.append("missing (called but not granted): " + ", ".join(self.missing))
        if self.extra:
            parts.append("extra (granted but never called): " + ", ".join(self.extra))
        return "; ".join(parts)


def registry_actions(registry: Iterable | None = None) -> list[str]:
    """The IAM actions the registry's entries call, sorted and without duplicates."""
    from cloud_inventory.aws.registry import REGISTRY, iam_action

    entries = REGISTRY if registry is None else registry
    return sorted({iam_action(service, operation) for entry in entries for service, operation in entry.api_operations()})


def pricing_actions() -> list[str]:
    """The aws_prices DAG's calls (pricing/catalog.py API_OPERATIONS), made with the same read-only role."""
    from cloud_inventory.aws.registry import iam_action
    from cloud_inventory.pricing.catalog import API_OPERATIONS

    return sorted({iam_action(service, operation) for service, operation in API_OPERATIONS})


def required_actions(registry: Iterable | None = None) -> list[str]:
    """Everything the read-only member role must allow: the registry's actions, planning and the price list."""
    return sorted(set(registry_actions(registry)) | set(PLANNING_ACTIONS) | set(pricing_actions()))


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return [value] if isinstance(value, (str, dict)) else list(value)


def statements(policy: dict) -> list[dict]:
    return _as_list(policy.get("Statement"))


def policy_actions(policy: dict, effect: str = "Allow") -> list[str]:
    """The actions of all `effect` statements in a policy document, sorted."""
    return sorted({action for statement in statements(policy) if statement.get("Effect") == effect
                   for action in _as_list(statement.get("Action"))})


def compare(granted: Iterable[str], required: Iterable[str]) -> PolicyDrift:
    # IAM action names are case-insensitive: compare them so, report them as written.
    granted_by_key = {action.lower(): action for action in granted}
    required_by_key = {action.lower(): action for action in required}
    return PolicyDrift(
        missing=tuple(sorted(required_by_key[key] for key in required_by_key.keys() - granted_by_key.keys())),
        extra=tuple(sorted(granted_by_key[key] for key in granted_by_key.keys() - required_by_key.keys())))


def policy_drift(policy: dict, registry: Iterable | None = None) -> PolicyDrift:
    """How the read-only policy's allowed actions differ from what the registry (and planning) calls."""
    return compare(policy_actions(policy), required_actions(registry))


def readonly_policy(registry: Iterable | None = None) -> dict:
    """The read-only permission policy the registry needs, as include/iam/ keeps it."""
    return {"Version": POLICY_VERSION,
            "Statement": [{"Sid": READONLY_SID, "Effect": "Allow", "Action": required_actions(registry),
                           "Resource": "*"}]}


def load_policy(name: str, directory: Path = IAM_DIR) -> dict:
    return json.loads((directory / name).read_text())


def wildcard_actions(policy: dict, effect: str = "Allow") -> list[str]:
    """Actions (or NotActions) of `effect` statements with a wildcard in them."""
    found = []
    for statement in statements(policy):
        if statement.get("Effect") == effect:
            for key in ("Action", "NotAction"):
                found.extend(action for action in _as_list(statement.get(key)) if "*" in action or "?" in action)
    return sorted(found)


def load_template(name: str = STACKSET_TEMPLATE_FILE, directory: Path = IAM_DIR) -> dict:
    """The CloudFormation template (written with long-form intrinsics, so plain YAML reads it)."""
    import yaml

    return yaml.safe_load((directory / name).read_text())


def template_role(template: dict) -> dict:
    roles = [resource["Properties"] for resource in template.get("Resources", {}).values()
             if resource.get("Type") == "AWS::IAM::Role"]
    if len(roles) != 1:
        raise ValueError(f"expected one AWS::IAM::Role in the template, found {len(roles)}")
    return roles[0]


def template_policy(template: dict) -> dict:
    """The role's inline permission policy document."""
    policies = template_role(template).get("Policies", [])
    if len(policies) != 1:
        raise ValueError(f"expected one inline policy on the role, found {len(policies)}")
    return policies[0]["PolicyDocument"]


def check_files(directory: Path = IAM_DIR, registry: Iterable | None = None) -> list[str]:
    """Problems with include/iam/ against the registry; empty when all is in step."""
    problems = []
    policy = load_policy(READONLY_POLICY_FILE, directory)
    drift = policy_drift(policy, registry)
    if not drift.ok:
        problems.append(f"{READONLY_POLICY_FILE}: {drift}")
    template_drift = compare(policy_actions(template_policy(load_template(directory=directory))),
                             policy_actions(policy))
    if not template_drift.ok:
        problems.append(f"{STACKSET_TEMPLATE_FILE} (against {READONLY_POLICY_FILE}): {template_drift}")
    organizations_drift = compare(policy_actions(load_policy(ORGANIZATIONS_POLICY_FILE, directory)),
                                  ORGANIZATIONS_ACTIONS)
    if not organizations_drift.ok:
        problems.append(f"{ORGANIZATIONS_POLICY_FILE}: {organizations_drift}")
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--check" in argv:
        problems = check_files()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    print(json.dumps(readonly_policy(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
