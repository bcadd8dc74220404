"""accounts.py: the example files load; every problem is reported with account and field, before any API call."""
from __future__ import annotations

import time
from pathlib import Path

import botocore.endpoint
import pytest
import yaml

from cloud_inventory.accounts import (MAX_DEPTH, MAX_FILE_BYTES, Account, AccountsConfig, AccountsConfigError,
                                      Organization, known_regions, load, parse)
from cloud_inventory.settings import PROJECT_ROOT

CONFIG = PROJECT_ROOT / "include" / "config"
DATA = PROJECT_ROOT / "tests" / "data" / "accounts"


@pytest.fixture(autouse=True)
def no_api_calls(monkeypatch):
    """Loading and validating the file never talks to AWS."""
    def refuse(*args, **kwargs):
        raise AssertionError("the accounts file made an AWS API call")

    monkeypatch.setattr(botocore.endpoint.Endpoint, "make_request", refuse)


def problems_of(data) -> list[str]:
    with pytest.raises(AccountsConfigError) as caught:
        parse(data, "accounts.yaml")
    return caught.value.problems


def one_problem(data) -> str:
    problems = problems_of(data)
    assert len(problems) == 1, problems
    return problems[0]


def account(**fields):
    return {"id": "123456789012", "name": "prod", "role_name": "InventoryReadOnly", "external_id": "ext-id",
            **fields}


def test_demo_file_loads():
    config = load(CONFIG / "accounts.demo.yaml")
    assert [a.id for a in config.accounts] == ["111111111111", "222222222222", "333333333333"]
    prod = config.accounts[0]
    assert prod == Account(id="111111111111", name="prod", environment="prod", team="platform",
                           role_arn="arn:aws:iam::111111111111:role/InventoryReadOnly",
                           external_id="cloud-inventory-demo", regions=("us-east-1", "eu-west-1"))
    assert config.organizations == ()


def test_example_file_loads():
    config = load(CONFIG / "accounts.example.yaml")
    accounts = config.by_id()
    assert set(accounts) == {"123456789012", "210987654321", "345678901234"}
    payments = accounts["123456789012"]
    assert payments.regions == ("us-east-1", "eu-west-1")
    assert payments.role_arn == "arn:aws:iam::123456789012:role/InventoryReadOnly"
    assert payments.external_id == "my-org-inventory-7f3a"
    staging = accounts["210987654321"]
    assert staging.role_arn == "arn:aws:iam::210987654321:role/platform/CustomInventoryRole"  # a path in the name
    assert staging.external_id == "data-staging-inventory"
    assert staging.regions is None  # defaults: all
    legacy = accounts["345678901234"]
    assert (legacy.role_arn, legacy.external_id, legacy.connection_id) == (None, None, "aws_legacy_sandbox")
    (org,) = config.organizations
    assert isinstance(org, Organization)
    assert org.management.id == "999999999999" and org.management.name == "main-org"
    assert org.management.role_arn == "arn:aws:iam::999999999999:role/OrganizationsReadOnly"
    assert org.member_role_name == "InventoryReadOnly" and org.member_external_id == "my-org-inventory-7f3a"
    assert org.regions is None and org.exclude == frozenset({"888888888888"})
    assert (org.environment_tag, org.team_tag) == ("environment", "team")


def test_account_dict_round_trip():
    for config_file in ("accounts.demo.yaml", "accounts.example.yaml"):
        for item in load(CONFIG / config_file).accounts:
            assert Account.from_dict(item.to_dict()) == item
    assert Account(id="123456789012", name="x").to_dict()["regions"] == "all"


def test_every_problem_is_reported_at_once():
    with pytest.raises(AccountsConfigError) as caught:
        load(DATA / "every_problem.yaml")
    error = caught.value
    problems = error.problems
    expected = [
        ("defaults.regions[1]", "unknown region 'mars-north-1'"),
        ("defaults.colour", "unknown field"),
        ("accounts[0].id", "'12345678901' is not a 12-digit AWS account id"),
        ("accounts[1].id", "is a number: write the 12-digit id in quotes"),
        ("accounts[2] (111111111111).regions[1]", "region 'eu-west-1' is listed twice"),
        ("accounts[2] (111111111111).regions[2]", "unknown region 'us-nowhere-1'"),
        ("accounts[3] (222222222222).role_arn", "is not an IAM role ARN"),
        ("accounts[4] (333333333333).role_arn", "role is in account 444444444444, not 333333333333"),
        ("accounts[5] (555555555555).external_id", "is required when a role is assumed"),
        ("accounts[6] (111111111111).id", "duplicates accounts[2]"),
        ("accounts[7] (666666666666).enviroment", "unknown field"),
        ("accounts[8] (777777777777).aws_access_key_id", "credentials never go in the accounts file"),
        ("accounts[8] (777777777777).aws_secret_access_key", "credentials never go in the accounts file"),
        ("accounts[9] (888888888888).name", "is required"),
    ]
    for where, message in expected:
        assert any(p.startswith(f"{where}: ") and message in p for p in problems), (where, message, problems)
    assert len(problems) == len(expected), problems
    assert str(DATA / "every_problem.yaml") in str(error) and f"{len(expected)} problem(s)" in str(error)
    # the keys themselves are never echoed back
    assert "AKIAIOSFODNN7EXAMPLE" not in str(error) and "EXAMPLEKEY" not in str(error)


def test_invalid_yaml_gives_line_and_column():
    with pytest.raises(AccountsConfigError) as caught:
        load(DATA / "invalid_yaml.yaml")
    (problem,) = caught.value.problems
    assert problem.startswith("line 4, column 4: not valid YAML"), problem


def test_unreadable_file():
    with pytest.raises(AccountsConfigError, match="cannot be read"):
        load(DATA / "no-such-file.yaml")


@pytest.mark.parametrize("data, where", [
    ([], "the file must be a mapping"),
    ({"accounts": []}, "accounts: lists no account"),
    ({"accounts": "123456789012"}, "accounts: must be a list"),
    ({"accounts": [account()], "extra": 1}, "<top level>.extra: unknown field"),
    ({"accounts": ["123456789012"]}, "accounts[0]: must be a mapping"),
])
def test_file_shape(data, where):
    assert any(problem.startswith(where) for problem in problems_of(data))


def test_twelve_digit_ids_quoted():
    assert "12-digit" in one_problem({"accounts": [account(id="1234567890123")]})
    assert "12-digit" in one_problem({"accounts": [account(id="12345678901a")]})
    assert "in quotes" in one_problem({"accounts": [account(id=123456789012)]})
    assert "accounts[0].id: is required" == one_problem({"accounts": [account(id=None)]})


def test_unknown_region():
    problem = one_problem({"accounts": [account(regions=["us-east-1", "us-east-7"])]})
    assert problem == "accounts[0] (123456789012).regions[1]: unknown region 'us-east-7'"
    assert "must be a list of regions or 'all'" in one_problem({"accounts": [account(regions=[])]})


def test_regions_all_single_and_opt_in():
    config = parse({"defaults": {"regions": "all"},
                    "accounts": [account(), account(id="210987654321", regions="eu-west-1"),
                                 account(id="345678901234", regions=["ap-east-1", "me-central-1"])]})
    assert [a.regions for a in config.accounts] == [None, ("eu-west-1",), ("ap-east-1", "me-central-1")]
    assert {"ap-east-1", "cn-north-1", "us-gov-west-1"} <= known_regions()  # opt-in and other partitions


def test_role_arn_checks():
    assert "is not an IAM role ARN" in one_problem({"accounts": [account(role_arn="InventoryReadOnly")]})
    assert "role is in account 210987654321, not 123456789012" in one_problem(
        {"accounts": [account(role_arn="arn:aws:iam::210987654321:role/InventoryReadOnly")]})
    config = parse({"accounts": [account(role_arn="arn:aws-cn:iam::123456789012:role/ReadOnly")]})
    assert config.accounts[0].role_arn == "arn:aws-cn:iam::123456789012:role/ReadOnly"
    assert "not a valid IAM role name" in one_problem({"accounts": [account(role_name="bad role!")]})


def test_external_id_required_with_a_role():
    problem = one_problem({"accounts": [account(external_id=None)]})
    assert problem.startswith("accounts[0] (123456789012).external_id: is required when a role is assumed")
    assert "2-1224 characters" in one_problem({"accounts": [account(external_id="x")]})


def test_no_way_in():
    problem = one_problem({"accounts": [{"id": "123456789012", "name": "prod"}]})
    assert problem == ("accounts[0] (123456789012): needs role_arn, a role_name (here or in defaults) "
                       "or a connection_id")


def test_role_arn_null_with_a_connection():
    config = parse({"defaults": {"role_name": "InventoryReadOnly", "external_id": "ext-id"},
                    "accounts": [{"id": "123456789012", "name": "legacy", "role_arn": None,
                                  "connection_id": "aws_legacy"}]})
    assert config.accounts[0].role_arn is None and config.accounts[0].external_id is None
    assert config.accounts[0].connection_id == "aws_legacy"
    # null role and no connection: nothing to reach the account with
    assert "needs role_arn" in one_problem({"accounts": [{"id": "123456789012", "name": "x", "role_arn": None}]})


@pytest.mark.parametrize("field", ["aws_access_key_id", "aws_secret_access_key", "aws_session_token", "password",
                                   "secret_key", "Token"])
def test_credentials_in_the_file_are_rejected(field):
    problem = one_problem({"accounts": [account(**{field: "AKIAIOSFODNN7EXAMPLE"})]})
    assert problem.startswith(f"accounts[0] (123456789012).{field}: credentials never go in the accounts file")
    assert "connection" in problem


def test_credentials_in_defaults_are_rejected():
    problem = one_problem({"defaults": {"aws_secret_access_key": "x"}, "accounts": [account()]})
    assert problem.startswith("defaults.aws_secret_access_key: credentials never go in the accounts file")


def test_defaults_apply_and_accounts_override():
    config = parse({"defaults": {"role_name": "R", "external_id": "ext-1", "regions": ["eu-west-1"],
                                 "environment": "dev", "team": "core"},
                    "accounts": [{"id": "123456789012", "name": "a"},
                                 {"id": "210987654321", "name": "b", "role_name": "Other", "external_id": "ext-2",
                                  "regions": "all", "environment": "prod", "team": "data"}]})
    a, b = config.accounts
    assert (a.role_arn, a.external_id, a.regions, a.environment, a.team) == (
        "arn:aws:iam::123456789012:role/R", "ext-1", ("eu-west-1",), "dev", "core")
    assert (b.role_arn, b.external_id, b.regions, b.environment, b.team) == (
        "arn:aws:iam::210987654321:role/Other", "ext-2", None, "prod", "data")
    assert isinstance(config, AccountsConfig) and set(config.by_id()) == {"123456789012", "210987654321"}


def test_organizations_only():
    config = parse({"organizations": [{"management_account_id": "999999999999", "role_name": "OrgRead",
                                       "external_id": "ext-id", "member_role_name": "InventoryReadOnly",
                                       "member_external_id": "member-ext", "regions": ["us-east-1"],
                                       "exclude": "888888888888"}]})
    (org,) = config.organizations
    assert config.accounts == ()
    assert org.management.name == "org-999999999999"
    assert org.regions == ("us-east-1",) and org.exclude == frozenset({"888888888888"})


def test_organization_problems():
    problems = problems_of({"organizations": [{"management_account_id": 999999999999, "member_role_name": "R",
                                               "exclude": ["123"], "colour": "x"}]})
    joined = "\n".join(problems)
    assert "organizations[0].colour: unknown field" in joined
    assert "organizations[0].management_account_id: 999999999999 is a number" in joined
    assert "organizations[0].member_external_id: is required" in joined
    assert "organizations[0].exclude[0]: '123' is not a 12-digit" in joined
    assert "organizations: must be a list" in "\n".join(problems_of({"accounts": [account()],
                                                                     "organizations": {"x": 1}}))


def test_quoted_ids_survive_yaml():
    text = 'accounts:\n  - id: "012345678901"\n    name: zero\n    role_name: R\n    external_id: ext-id\n'
    assert parse(yaml.safe_load(text)).accounts[0].id == "012345678901"


def test_clusters_are_tied_to_an_account_region_and_dump_interval():
    config = load(PROJECT_ROOT / "include" / "config" / "accounts.demo.yaml")
    assert [(c.name, c.account_id, c.region, c.dump_interval_minutes, c.stale_after) for c in config.clusters] == [
        ("prod-eks", "111111111111", "us-east-1", 15, 45), ("stg-eks", "222222222222", "us-east-1", 15, 45)]
    example = load(PROJECT_ROOT / "include" / "config" / "accounts.example.yaml")
    assert example.clusters[0].stale_after == 60


def test_every_cluster_problem_is_reported_with_its_cluster_and_field():
    with pytest.raises(AccountsConfigError) as raised:
        parse({
            "accounts": [{"id": "111111111111", "name": "a", "connection_id": "c"}],
            "clusters": [
                {"name": "Bad_Name", "account_id": 123, "region": "mars-1", "dump_interval_minutes": 0, "color": "x"},
                {"name": "ok", "account_id": "111111111111", "region": "us-east-1", "stale_after_minutes": 5},
                {"name": "ok", "account_id": "999999999999", "region": "us-east-1"}]})
    problems = raised.value.problems
    assert problems == [
        "clusters[0] (Bad_Name).name: must be lower-case letters, digits and '-', at most 63 (a DNS label)",
        "clusters[0] (Bad_Name).color: unknown field (allowed: account_id, dump_interval_minutes, name, region, "
        "stale_after_minutes)",
        "clusters[0] (Bad_Name).account_id: 123 is a number: write the 12-digit id in quotes (YAML drops leading zeros)",
        "clusters[0] (Bad_Name).region: unknown region 'mars-1'",
        "clusters[0] (Bad_Name).dump_interval_minutes: 0 must be a whole number of minutes, at least 1",
        "clusters[1] (ok).stale_after_minutes: 5 is shorter than the dump interval (15)",
        "clusters[2] (ok).name: is listed twice",
        "clusters (ok).account_id: 999999999999 is not one of the accounts in this file",
    ]


# The file's bounds: size, aliases, depth --------------------------------------------------------------------
def only_problem(path) -> str:
    with pytest.raises(AccountsConfigError) as caught:
        load(path)
    (problem,) = caught.value.problems
    return problem


def test_an_alias_bomb_is_refused_at_once():
    started = time.perf_counter()
    problem = only_problem(DATA / "alias_bomb.yaml")
    assert time.perf_counter() - started < 0.5
    assert problem == ("line 12, column 10: aliases expand to more than 100,000 values (at *e); an accounts file "
                       "may repeat values with aliases, not multiply them")


def test_a_recursive_alias_is_refused(tmp_path):
    path = tmp_path / "accounts.yaml"
    path.write_text("defaults:\n  regions: &loop [us-east-1, *loop]\naccounts: []\n")
    assert only_problem(path) == "line 2, column 30: alias *loop is inside the node it refers to (a recursive alias)"


def test_nesting_past_the_bound_is_refused(tmp_path):
    path = tmp_path / "accounts.yaml"
    path.write_text("accounts: " + "[" * 5000 + "]" * 5000 + "\n")
    assert only_problem(path) == f"line 1, column {10 + MAX_DEPTH}: nested more than {MAX_DEPTH} levels deep"


def test_anchors_aliases_and_merge_keys_that_repeat_values_still_load(tmp_path):
    """DRY config as people write it, for 2,000 accounts: a region list named once, an account merged into others."""
    path = tmp_path / "accounts.yaml"
    path.write_text(
        "defaults:\n  role_name: InventoryReadOnly\n  external_id: ext-id\n"
        "  regions: &eu [eu-west-1, eu-central-1, eu-north-1]\n"
        'accounts:\n  - &payments {id: "100000000000", name: app-0, environment: prod, team: payments}\n'
        + "".join(f'  - <<: *payments\n    id: "{100000000000 + n}"\n    name: app-{n}\n    regions: *eu\n'
                  for n in range(1, 2000)))
    config = load(path)
    assert len(config.accounts) == 2000 and config.accounts[-1].name == "app-1999"
    assert {(a.environment, a.team, a.regions) for a in config.accounts} == {
        ("prod", "payments", ("eu-west-1", "eu-central-1", "eu-north-1"))}


def test_a_file_over_the_size_limit_is_refused_without_reading_it_whole(tmp_path):
    path = tmp_path / "accounts.yaml"
    path.write_text("accounts: []\n# " + "x" * (MAX_FILE_BYTES - 15) + "\n")
    assert path.stat().st_size == MAX_FILE_BYTES + 1
    assert only_problem(path) == ("the file: is larger than 2 MiB (2,097,152 bytes), the most an accounts file "
                                  "may be")
    started = time.perf_counter()  # an endless file: only the first MAX_FILE_BYTES + 1 bytes are read
    assert only_problem(Path("/dev/zero")).startswith("the file: is larger than 2 MiB")
    assert time.perf_counter() - started < 0.5


def test_a_file_at_the_size_limit_loads(tmp_path):
    path = tmp_path / "accounts.yaml"
    head = 'accounts:\n  - {id: "123456789012", name: a, connection_id: c}\n# '
    path.write_text(head + "x" * (MAX_FILE_BYTES - len(head) - 1) + "\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert load(path).accounts[0].id == "123456789012"


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "accounts.yaml"
    path.write_bytes(b"accounts:\n  - name: caf\xe9\n")
    assert only_problem(path) == "line 2, column 14: not UTF-8 text"
