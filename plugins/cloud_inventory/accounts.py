"""The accounts file: which AWS accounts to inventory, how to reach them, and their labels.

Validation collects every problem, each named by account and field, before any API call is made.
Keys never live in this file: an account that still needs its own keys names an Airflow connection.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ACCOUNT_ID = re.compile(r"^\d{12}$")
ROLE_ARN = re.compile(r"^arn:aws(?:-cn|-us-gov)?:iam::(?P<account>\d{12}):role/[\w+=,.@/-]{1,512}$")
ROLE_NAME = re.compile(r"^[\w+=,.@/-]{1,64}$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
SECRET_FIELDS = {"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "access_key", "secret_key",
                 "secret_access_key", "password", "token"}
ACCOUNT_FIELDS = {"id", "name", "environment", "team", "role_arn", "role_name", "external_id", "regions",
                  "connection_id"}
DEFAULT_FIELDS = {"role_name", "external_id", "regions", "environment", "team"}
ORGANIZATION_FIELDS = {"management_account_id", "name", "role_arn", "role_name", "external_id", "connection_id",
                       "member_role_name", "member_external_id", "regions", "environment_tag", "team_tag",
                       "exclude"}
CLUSTER_FIELDS = {"name", "account_id", "region", "dump_interval_minutes", "stale_after_minutes"}
CLUSTER_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")  # what the bastion script accepts
TOP_LEVEL_FIELDS = {"defaults", "accounts", "organizations", "clusters"}
ALL_REGIONS = "all"
# The file is input from outside, so it is bounded: 2 MiB holds some 10,000 accounts at ~200 bytes each (an
# organization's members are discovered, not listed); aliases may repeat a few values (`regions: *eu`) but not
# multiply them ("billion laughs": nested anchors of aliases, a few hundred bytes that expand to billions of
# values); real files nest 5 levels deep.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ALIAS_NODES = 100_000  # values (scalars, lists, mappings) all the file's aliases stand for, in total
MAX_DEPTH = 50


class AccountsConfigError(ValueError):
    """The accounts file is unusable; `problems` lists each one with where it is."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{self.path}: {len(problems)} problem(s) in the accounts file:\n{listing}")


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    environment: str = "unknown"
    team: str = "unknown"
    role_arn: str | None = None
    external_id: str | None = None
    regions: tuple[str, ...] | None = None  # None: every region enabled in the account
    connection_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["regions"] = list(self.regions) if self.regions is not None else ALL_REGIONS
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Account:
        regions = data.get("regions")
        return cls(**{**data, "regions": None if regions in (None, ALL_REGIONS) else tuple(regions)})


@dataclass(frozen=True)
class Organization:
    """A management account whose AWS Organizations member accounts are inventoried too."""

    management: Account
    member_role_name: str
    member_external_id: str | None
    regions: tuple[str, ...] | None
    environment_tag: str = "environment"
    team_tag: str = "team"
    exclude: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Cluster:
    """A Kubernetes cluster whose bastion drops dumps: tied to its AWS account, and how often it dumps."""

    name: str
    account_id: str
    region: str
    dump_interval_minutes: int = 15
    stale_after_minutes: int | None = None  # None: three missed dumps

    @property
    def stale_after(self) -> int:
        return self.stale_after_minutes or 3 * self.dump_interval_minutes


@dataclass(frozen=True)
class AccountsConfig:
    accounts: tuple[Account, ...]
    organizations: tuple[Organization, ...] = ()
    clusters: tuple[Cluster, ...] = ()

    def by_id(self) -> dict[str, Account]:
        return {account.id: account for account in self.accounts}


@lru_cache(maxsize=1)
def known_regions() -> frozenset[str]:
    """Every region botocore knows in every partition, opt-in regions included."""
    import boto3

    session = boto3.Session()
    regions: set[str] = set()
    for partition in session.get_available_partitions():
        for service in ("ec2", "sts"):
            regions.update(session.get_available_regions(service, partition_name=partition,
                                                         allow_non_regional=False))
    return frozenset(regions)


def role_arn_for(account_id: str, role_name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


class _Checker:
    """Collects problems with their location instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def text(self, where: str, value: Any, required: bool = False) -> str | None:
        if value is None or value == "":
            if required:
                self.add(where, "is required")
            return None
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            self.add(where, f"must be text, got {type(value).__name__}")
            return None
        return str(value)

    def unknown_fields(self, where: str, data: dict, allowed: set[str]) -> None:
        for key in sorted(set(data) - allowed, key=str):
            if str(key).lower() in SECRET_FIELDS:
                self.add(f"{where}.{key}", "credentials never go in the accounts file; "
                                          "put the keys in an Airflow connection and name it in connection_id")
            else:
                self.add(f"{where}.{key}", f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def account_id(self, where: str, value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.add(where, f"{value} is a number: write the 12-digit id in quotes (YAML drops leading zeros)")
            return None
        text = self.text(where, value, required=True)
        if text is not None and not ACCOUNT_ID.match(text):
            self.add(where, f"{text!r} is not a 12-digit AWS account id")
            return None
        return text

    def regions(self, where: str, value: Any) -> tuple[str, ...] | None:
        if value == ALL_REGIONS:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            self.add(where, f"must be a list of regions or {ALL_REGIONS!r}")
            return ()
        regions = []
        for index, region in enumerate(value):
            if not isinstance(region, str) or region not in known_regions():
                self.add(f"{where}[{index}]", f"unknown region {region!r}")
            elif region in regions:
                self.add(f"{where}[{index}]", f"region {region!r} is listed twice")
            else:
                regions.append(region)
        return tuple(regions)

    def role(self, where: str, account_id: str | None, data: dict, defaults: dict,
             name_key: str = "role_name", external_key: str = "external_id") -> tuple[str | None, str | None]:
        if "role_arn" in data and data["role_arn"] is None:
            return None, None  # explicitly no role: the connection's own keys are used as they are
        role_arn = self.text(f"{where}.role_arn", data.get("role_arn"))
        role_name = self.text(f"{where}.{name_key}", data.get(name_key, defaults.get("role_name")))
        external_id = self.text(f"{where}.{external_key}", data.get(external_key, defaults.get("external_id")))
        if role_arn is not None:
            match = ROLE_ARN.match(role_arn)
            if not match:
                self.add(f"{where}.role_arn", f"{role_arn!r} is not an IAM role ARN "
                                              "(arn:aws:iam::<12-digit account>:role/<name>)")
                role_arn = None
            elif account_id and match["account"] != account_id:
                self.add(f"{where}.role_arn", f"role is in account {match['account']}, not {account_id}")
        elif role_name is not None:
            if not ROLE_NAME.match(role_name):
                self.add(f"{where}.{name_key}", f"{role_name!r} is not a valid IAM role name")
            elif account_id:
                role_arn = role_arn_for(account_id, role_name)
        if external_id is not None and not EXTERNAL_ID.match(external_id):
            self.add(f"{where}.{external_key}", "must be 2-1224 characters of letters, digits and +=,.@:/-")
        if role_arn and external_id is None:
            self.add(f"{where}.{external_key}", "is required when a role is assumed "
                                                "(it guards the role against the confused-deputy problem)")
        return role_arn, external_id


def parse(data: Any, path: Path | str = "<accounts>") -> AccountsConfig:
    check = _Checker()
    if not isinstance(data, dict):
        raise AccountsConfigError(path, ["the file must be a mapping with an 'accounts' list"])
    check.unknown_fields("<top level>", data, TOP_LEVEL_FIELDS)
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        check.add("defaults", "must be a mapping")
        defaults = {}
    check.unknown_fields("defaults", defaults, DEFAULT_FIELDS)
    default_regions = check.regions("defaults.regions", defaults["regions"]) if "regions" in defaults else None

    raw_accounts = data.get("accounts") or []
    raw_organizations = data.get("organizations") or []
    if not isinstance(raw_accounts, list):
        check.add("accounts", "must be a list")
        raw_accounts = []
    if not raw_accounts and not raw_organizations:
        check.add("accounts", "lists no account (and no organization to discover them from)")

    accounts: list[Account] = []
    seen: dict[str, str] = {}
    for index, raw in enumerate(raw_accounts):
        where = f"accounts[{index}]"
        if not isinstance(raw, dict):
            check.add(where, "must be a mapping")
            continue
        account_id = check.account_id(f"{where}.id", raw.get("id"))
        if account_id:
            where = f"accounts[{index}] ({account_id})"
            if account_id in seen:
                check.add(f"{where}.id", f"duplicates {seen[account_id]}")
            seen[account_id] = f"accounts[{index}]"
        check.unknown_fields(where, raw, ACCOUNT_FIELDS)
        name = check.text(f"{where}.name", raw.get("name"), required=True)
        role_arn, external_id = check.role(where, account_id, raw, defaults)
        connection_id = check.text(f"{where}.connection_id", raw.get("connection_id"))
        # A role that was given but is invalid (or whose account id is) is already reported above.
        role_given = (raw["role_arn"] is not None if "role_arn" in raw
                      else raw.get("role_name", defaults.get("role_name")) is not None)
        if role_arn is None and connection_id is None and not role_given:
            check.add(where, "needs role_arn, a role_name (here or in defaults) or a connection_id")
        regions = check.regions(f"{where}.regions", raw["regions"]) if "regions" in raw else default_regions
        if account_id and name:
            accounts.append(Account(
                id=account_id, name=name,
                environment=check.text(f"{where}.environment", raw.get("environment",
                                                                       defaults.get("environment"))) or "unknown",
                team=check.text(f"{where}.team", raw.get("team", defaults.get("team"))) or "unknown",
                role_arn=role_arn, external_id=external_id, regions=regions, connection_id=connection_id,
            ))

    organizations: list[Organization] = []
    if not isinstance(raw_organizations, list):
        check.add("organizations", "must be a list")
        raw_organizations = []
    for index, raw in enumerate(raw_organizations):
        where = f"organizations[{index}]"
        if not isinstance(raw, dict):
            check.add(where, "must be a mapping")
            continue
        check.unknown_fields(where, raw, ORGANIZATION_FIELDS)
        management_id = check.account_id(f"{where}.management_account_id", raw.get("management_account_id"))
        role_arn, external_id = check.role(where, management_id, raw, defaults)
        member_role = check.text(f"{where}.member_role_name",
                                 raw.get("member_role_name", defaults.get("role_name")), required=True)
        member_external = check.text(f"{where}.member_external_id",
                                     raw.get("member_external_id", defaults.get("external_id")))
        if member_role and member_external is None:
            check.add(f"{where}.member_external_id", "is required to assume the member role")
        regions = check.regions(f"{where}.regions", raw["regions"]) if "regions" in raw else default_regions
        exclude = raw.get("exclude") or []
        for position, excluded in enumerate(exclude if isinstance(exclude, list) else [exclude]):
            check.account_id(f"{where}.exclude[{position}]", excluded)
        if management_id and member_role:
            organizations.append(Organization(
                management=Account(id=management_id, name=raw.get("name") or f"org-{management_id}",
                                   role_arn=role_arn, external_id=external_id,
                                   connection_id=check.text(f"{where}.connection_id", raw.get("connection_id"))),
                member_role_name=member_role, member_external_id=member_external, regions=regions,
                environment_tag=str(raw.get("environment_tag", "environment")),
                team_tag=str(raw.get("team_tag", "team")),
                exclude=frozenset(str(e) for e in (exclude if isinstance(exclude, list) else [exclude])),
            ))

    clusters = _clusters(check, data.get("clusters") or [])
    if not organizations:  # with an organization, members are only known once discovered
        known = {account.id for account in accounts}
        for index, cluster in enumerate(clusters):
            if cluster.account_id not in known:
                check.add(f"clusters ({cluster.name}).account_id",
                          f"{cluster.account_id} is not one of the accounts in this file")
    if check.problems:
        raise AccountsConfigError(path, check.problems)
    return AccountsConfig(accounts=tuple(accounts), organizations=tuple(organizations), clusters=tuple(clusters))


def _minutes(check: _Checker, where: str, value: Any, default: int | None) -> int | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        check.add(where, f"{value!r} must be a whole number of minutes, at least 1")
        return default
    return value


def _clusters(check: _Checker, raw_clusters: Any) -> list[Cluster]:
    if not isinstance(raw_clusters, list):
        check.add("clusters", "must be a list")
        return []
    clusters: list[Cluster] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_clusters):
        where = f"clusters[{index}]"
        if not isinstance(raw, dict):
            check.add(where, "must be a mapping")
            continue
        name = check.text(f"{where}.name", raw.get("name"), required=True)
        if name is not None:
            where = f"clusters[{index}] ({name})"
            if not CLUSTER_NAME.match(name):
                check.add(f"{where}.name", "must be lower-case letters, digits and '-', at most 63 (a DNS label)")
            elif name in seen:
                check.add(f"{where}.name", "is listed twice")
            seen.add(name)
        check.unknown_fields(where, raw, CLUSTER_FIELDS)
        account_id = check.account_id(f"{where}.account_id", raw.get("account_id"))
        region = check.text(f"{where}.region", raw.get("region"), required=True)
        if region is not None and region not in known_regions():
            check.add(f"{where}.region", f"unknown region {region!r}")
        interval = _minutes(check, f"{where}.dump_interval_minutes", raw.get("dump_interval_minutes"), 15)
        stale_after = _minutes(check, f"{where}.stale_after_minutes", raw.get("stale_after_minutes"), None)
        if stale_after is not None and interval is not None and stale_after < interval:
            check.add(f"{where}.stale_after_minutes", f"{stale_after} is shorter than the dump interval ({interval})")
        if name and account_id and region:
            clusters.append(Cluster(name=name, account_id=account_id, region=region, dump_interval_minutes=interval,
                                    stale_after_minutes=stale_after))
    return clusters


class _Refused(yaml.composer.ComposerError):
    """Valid YAML past one of the file's bounds."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that counts, while composing, how many values each node stands for with every alias expanded,
    and refuses the file once its aliases stand for more than MAX_ALIAS_NODES values in all, an alias refers to a
    node it is inside of, or nodes nest deeper than MAX_DEPTH; so an alias bomb stops after reading its few
    hundred bytes, in linear time, before anything is built from it."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self._expanded: dict[int, int] = {}  # id(node) -> values it stands for, counted when it is complete
        self._alias_nodes = 0
        self._depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            size = self._expanded.get(id(node))
            if size is None:
                raise _Refused(None, None, f"alias *{event.anchor} is inside the node it refers to "
                                           "(a recursive alias)", event.start_mark)
            self._alias_nodes += size
            if self._alias_nodes > MAX_ALIAS_NODES:
                raise _Refused(None, None, f"aliases expand to more than {MAX_ALIAS_NODES:,} values "
                                           f"(at *{event.anchor}); an accounts file may repeat values with aliases, "
                                           "not multiply them", event.start_mark)
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
        node = super().compose_node(parent, index)
        self._depth -= 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = []
        self._expanded[id(node)] = 1 + sum(self._expanded[id(child)] for child in children)
        return node


def _read_bounded(path: Path) -> str:
    """The file's text, reading at most MAX_FILE_BYTES + 1 bytes of it."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise AccountsConfigError(path, [f"cannot be read: {error.strerror or error}"]) from None
    if len(data) > MAX_FILE_BYTES:
        raise AccountsConfigError(path, [f"the file: is larger than {MAX_FILE_BYTES // 1024 ** 2} MiB "
                                         f"({MAX_FILE_BYTES:,} bytes), the most an accounts file may be"])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = data.count(b"\n", 0, error.start) + 1, error.start - data.rfind(b"\n", 0, error.start)
        raise AccountsConfigError(path, [f"line {line}, column {column}: not UTF-8 text"]) from None


def load(path: Path | str) -> AccountsConfig:
    path = Path(path)
    text = _read_bounded(path)
    try:
        data = yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "the file"
        problem = getattr(error, "problem", error)
        raise AccountsConfigError(path, [f"{where}: {problem}" if isinstance(error, _Refused)
                                         else f"{where}: not valid YAML ({problem})"]) from None
    return parse(data, path)
