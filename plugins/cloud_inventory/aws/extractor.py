"""The one generic extractor: runs registry entries for one account's regions into the lake.

get: boto3 paginators at each API's largest page size (adaptive retries underneath);
transform: `to_row`; write: one Parquet partition per resource type, streamed in row groups.
Resource types run concurrently on a small thread pool; a type whose parent type has to finish
first (Route 53 records per zone, node groups per cluster, metrics per instance) waits for it.
Every type ends with an Outcome (ok / denied / failed) in its region's manifest, whatever happens.
An account's regions run a few at a time (INVENTORY_REGION_CONCURRENCY) on one assumed role.
"""
from __future__ import annotations

import gc
import logging
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Iterator

import boto3
from botocore.exceptions import ClientError

from cloud_inventory.accounts import Account
from cloud_inventory.aws import errors
from cloud_inventory.aws.instance_types import IN_USE
from cloud_inventory.aws.registry import Detail, ResourceType, TagLookup, selected
from cloud_inventory.aws.sessions import GLOBAL_REGION, AccountSessions, AssumeRoleError, client_config
from cloud_inventory.aws.transform import AWS_SCHEMA, pick, to_row
from cloud_inventory.lake import Lake, parquet_sink
from cloud_inventory.manifest import Outcome, write_manifest
from cloud_inventory.settings import Settings

log = logging.getLogger(__name__)
logging.getLogger("botocore.configprovider").setLevel(logging.WARNING)  # one "found endpoint" line per client
GLOBAL = "global"  # the region label of global resource types' partitions


@dataclass
class PairResult:
    account: Account
    region: str
    outcomes: list[Outcome]

    @property
    def failed(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status == "failed"]

    @property
    def denied(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status == "denied"]


@dataclass
class Extraction:
    """One (account, region) or (account, global) extraction: its clients, counters and collected ids."""

    account: Account
    region: str  # a region, or GLOBAL
    session: boto3.Session
    settings: Settings
    lake: Lake
    snapshot_date: date
    run_id: str
    snapshot_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    collected: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._calls: Counter[str | None] = Counter()
        self._current = threading.local()
        self._detail_pool = ThreadPoolExecutor(max_workers=self.settings.type_concurrency,
                                               thread_name_prefix=f"detail-{self.account_id}-{self.region}")

    @property
    def account_id(self) -> str:
        return self.account.id

    @property
    def api_region(self) -> str:
        return GLOBAL_REGION if self.region == GLOBAL else self.region

    def client(self, service: str):
        """One client per service, shared by the threads (clients are thread-safe; creating them is not)."""
        with self._lock:
            if service not in self._clients:
                client = self.session.client(service, region_name=self.api_region,
                                              config=client_config(self.settings))
                client.meta.events.register("before-send", self._count_request)
                self._clients[service] = client
            return self._clients[service]

    def _count_request(self, **_: Any) -> None:
        # Counts HTTP requests, retries included, against the resource type running on this thread.
        with self._lock:
            self._calls[getattr(self._current, "type", None)] += 1

    # get -------------------------------------------------------------------------------------
    def pages(self, entry: ResourceType) -> Iterator[tuple[str | None, list[Any]]]:
        """(parent id, items) per API page, details added."""
        if entry.fetch:
            for items in entry.fetch(self):
                yield None, items
            return
        client = self.client(entry.service)
        params = entry.params({"account_id": self.account_id, "region": self.api_region}) if entry.params else {}
        parents = self.collected.get(entry.parent[0], []) if entry.parent else [None]
        for parent in parents:
            request = {**params, entry.parent[1]: parent} if entry.parent else params
            for page in self._paginate(client, entry, request):
                items = pick(page, entry.items) or []
                for detail in entry.details:
                    items = self._details(entry, client, detail, items, parent)
                if entry.tag_lookup and items:
                    self.lookup_tags(client, entry.tag_lookup, items)
                yield parent, items

    @staticmethod
    def _paginate(client, entry: ResourceType, request: dict) -> Iterator[dict]:
        if not client.can_paginate(entry.operation):
            yield getattr(client, entry.operation)(**request)
            return
        config = {"PageSize": entry.page_size} if entry.page_size else {}
        yield from client.get_paginator(entry.operation).paginate(**request, PaginationConfig=config)

    def _details(self, entry: ResourceType, client, detail: Detail, items: list, parent: str | None) -> list:
        """One detail call per item, several at once (a thousand buckets are a thousand calls), in order."""
        if len(items) <= 1:
            return [self.detail(client, detail, item, parent) for item in items]

        def one(item: Any) -> Any:
            self._current.type = entry.name  # count the call against this type on the helper thread
            return self.detail(client, detail, item, parent)

        return list(self._detail_pool.map(one, items))

    @staticmethod
    def detail(client, detail: Detail, item: Any, parent: str | None) -> Any:
        try:
            response = getattr(client, detail.operation)(**detail.params(item, parent))
        except ClientError as error:
            if errors.error_code(error) not in detail.missing:
                raise
            response = {}
        result = pick(response, detail.result) if detail.result else response
        if detail.into is None:
            return result
        return {**item, detail.into: result}

    @staticmethod
    def lookup_tags(client, lookup: TagLookup, items: list[dict]) -> None:
        keys = [item[lookup.key] for item in items]
        found: dict[str, list] = {}
        for offset in range(0, len(keys), lookup.batch):
            response = getattr(client, lookup.operation)(**{lookup.param: keys[offset:offset + lookup.batch]})
            for entry in pick(response, lookup.result) or []:
                found[entry[lookup.result_key]] = entry.get("Tags", [])
        for item in items:
            item["Tags"] = found.get(item[lookup.key], [])

    # transform + write ---------------------------------------------------------------------------
    def run_type(self, entry: ResourceType, upstream: dict[str, Outcome]) -> Outcome:
        self._current.type = entry.name
        outcome = Outcome(entry.name)
        try:
            blocked = [upstream[name] for name in entry.required if name in upstream
                       and upstream[name].status != "ok"]
            if blocked:
                status = "failed" if any(o.status == "failed" for o in blocked) else "denied"
                names = ", ".join(f"{o.resource_type} ({o.status})" for o in blocked)
                outcome.finish(status, "UpstreamNotExtracted", f"needs {names}")
            else:
                self._write(entry, outcome)
                outcome.finish("ok")
        except Exception as error:  # noqa: BLE001 - every error is recorded; classify() sorts them
            status, error_class, message = errors.classify(error)
            outcome.finish(status, error_class, message)
            log_method = log.warning if status == "denied" else log.error
            log_method("%s %s %s: %s %s: %s", self.account_id, self.region, entry.name, status, error_class, message)
        finally:
            outcome.api_calls = self._calls[entry.name]
        return outcome

    def _write(self, entry: ResourceType, outcome: Outcome) -> None:
        path = self.lake.aws_partition(entry.name, self.snapshot_date, self.account_id, self.region)
        snapshot_at = datetime.now(timezone.utc)
        with parquet_sink(self.lake, path, AWS_SCHEMA) as sink:
            for parent, items in self.pages(entry):
                rows = []
                for item in items:
                    rows.append(to_row(entry, item, account_id=self.account_id, region=self.region,
                                       snapshot_date=self.snapshot_date, snapshot_at=snapshot_at,
                                       run_id=self.run_id, parent_id=parent))
                    if entry.collect:
                        self.collected[entry.name].append(pick(item, entry.collect))
                    if entry.sized_as:
                        self.collected[IN_USE].append(pick(item, entry.sized_as))
                sink.write(rows)
        outcome.rows = sink.rows
        outcome.path = self.lake.uri_of(path)

    def run(self, entries: list[ResourceType]) -> list[Outcome]:
        """Every entry, concurrently, each after the types it depends on."""
        selected = {entry.name for entry in entries}
        pending = {entry.name: entry for entry in entries}
        done: dict[str, Outcome] = {}
        with self._detail_pool, ThreadPoolExecutor(max_workers=self.settings.type_concurrency,
                                                   thread_name_prefix=f"extract-{self.account_id}-{self.region}") as pool:
            running: dict = {}
            while pending or running:
                for name, entry in list(pending.items()):
                    if all(up in done or up not in selected for up in entry.upstream):
                        running[pool.submit(self.run_type, entry, dict(done))] = name
                        del pending[name]
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    done[running.pop(future)] = future.result()
        return [done[entry.name] for entry in entries]


@contextmanager
def heap_left_out_of_collection() -> Iterator[None]:
    """While the block runs, the garbage collector leaves alone the objects that existed before it (an Airflow task
    process inherits hundreds of thousands: Airflow, the service models). Creating clients and parsing pages fills
    the young generations fast, and each full collection scanned that whole inherited heap again: 40% of a quiet
    region's CPU. The block's own objects are collected as usual; afterwards the others are too."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def extract_account(account: Account, regions: list[str], settings: Settings, lake: Lake, snapshot_date: date,
                    run_id: str, entries: list[ResourceType] | None = None) -> list[PairResult]:
    """Extract one account's regional types in each of `regions` (its global types where the region is GLOBAL),
    INVENTORY_REGION_CONCURRENCY regions at a time, each running its types on its own thread pool; write each type's
    partition and each region's manifest. The role is assumed once, for every region. Never raises for an AWS error:
    the outcomes say what happened, per region; the caller decides whether the task fails."""
    with heap_left_out_of_collection():
        return _extract_account(account, regions, settings, lake, snapshot_date, run_id, entries)


def _extract_account(account: Account, regions: list[str], settings: Settings, lake: Lake, snapshot_date: date,
                     run_id: str, entries: list[ResourceType] | None) -> list[PairResult]:
    started = time.monotonic()
    home_region = next((region for region in regions if region != GLOBAL), GLOBAL_REGION)
    try:
        sessions = AccountSessions(account, home_region, settings)
    except Exception as error:  # noqa: BLE001 - denied, unreachable STS, bad connection: the account is not entered
        code = error.code if isinstance(error, AssumeRoleError) else errors.error_code(error)
        message = errors.redact(str(error))
        log.error("%s: cannot enter the account, so none of its regions (%s): %s", account.id, ", ".join(regions),
                  message)
        return [_record(account, region, _failed_everywhere(_entries(region, entries, settings), f"AssumeRole.{code}", message),
                        lake, snapshot_date, run_id, started) for region in regions]

    def extract_region(region: str) -> PairResult:
        region_started = time.monotonic()
        session = sessions.session(GLOBAL_REGION if region == GLOBAL else region)
        extraction = Extraction(account=account, region=region, session=session, settings=settings, lake=lake,
                                snapshot_date=snapshot_date, run_id=run_id)
        outcomes = extraction.run(_entries(region, entries, settings))
        return _record(account, region, outcomes, lake, snapshot_date, run_id, region_started)

    with ThreadPoolExecutor(max_workers=max(1, min(settings.region_concurrency, len(regions))),
                            thread_name_prefix=f"region-{account.id}") as pool:
        return list(pool.map(extract_region, regions))


def extract_pair(account: Account, region: str, settings: Settings, lake: Lake, snapshot_date: date, run_id: str,
                 entries: list[ResourceType] | None = None) -> PairResult:
    """extract_account for one region (or GLOBAL)."""
    return extract_account(account, [region], settings, lake, snapshot_date, run_id, entries)[0]


def _entries(region: str, entries: list[ResourceType] | None, settings: Settings) -> list[ResourceType]:
    """The entries given, else the types INVENTORY_RESOURCE_TYPES names (every type by default) of the region's scope."""
    return entries if entries is not None else selected(settings.resource_types,
                                                        "global" if region == GLOBAL else "regional")


def _failed_everywhere(entries: list[ResourceType], error_class: str, message: str) -> list[Outcome]:
    outcomes = []
    for entry in entries:
        outcome = Outcome(entry.name)
        outcome.finish("failed", error_class, message)
        outcomes.append(outcome)
    return outcomes


def _record(account: Account, region: str, outcomes: list[Outcome], lake: Lake, snapshot_date: date, run_id: str,
            started: float) -> PairResult:
    """The region's manifest, written once all its types have ended, and its log line."""
    write_manifest(lake, snapshot_date=snapshot_date, run_id=run_id, account_id=account.id,
                   account_name=account.name, region=region, outcomes=outcomes)
    log.info("%s (%s) %s: %d types, %d rows, %d API calls in %.1fs", account.id, account.name, region,
             len(outcomes), sum(o.rows for o in outcomes), sum(o.api_calls for o in outcomes),
             time.monotonic() - started)
    return PairResult(account=account, region=region, outcomes=outcomes)
