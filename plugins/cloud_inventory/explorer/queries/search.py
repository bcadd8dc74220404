"""Search: what something pasted or typed (an IP, a DNS name or URL, an id, an ARN, a name, a tag `key=value`, a
pod or node name) is, where it runs, and what it resolves to.

Matching reads marts.search_index (every identifier of marts.resource_lookup, Kubernetes object names and tags,
one table sorted by the lower-cased term) with equality and prefix-range predicates only, so DuckDB reads just the
row groups that hold the term. The resolution path (`via`) starts with what resource_lookup resolved (a Route 53
record's alias or values, an ingress host's or a node's target) and follows marts.lookup_hops (load balancer ->
target groups -> targets, Elastic IP -> instance, pod -> node -> instance, ...) a few hops further.
"""
from __future__ import annotations

import re
from typing import Any

from cloud_inventory.cli import normalise
from cloud_inventory.explorer.links import resource_url
from cloud_inventory.explorer.queries import records
from cloud_inventory.plain import plain

# what a term is: an exact identifier ranks before an exact name, and both before a prefix
NAME_KINDS = ("name_tag", "name", "k8s_name", "node_name", "tag")
MIN_PREFIX = 2           # "as you type" starts at the second character
MAX_HOPS = 4             # resolution (1) + load balancer -> target group -> target, pod -> node -> instance
MAX_FANOUT = 50          # hops followed from one resource (a target group of 500 instances shows 50)
MAX_FRONTIER = 500       # resources whose next hops one query asks for
MAX_ROWS_READ = 20_000   # index rows read to find the best `limit` resources (repeats of one resource crowd them)
RANKS = ("exact", "exact name", "prefix")
# the types marts.lookup_hops has hops from (a path reaching anything else ends there)
HOP_SOURCES = frozenset({"elbv2_load_balancer", "elbv2_target_group", "classic_load_balancer", "elastic_ip",
                         "network_interface", "ebs_volume", "k8s_pod", "k8s_node", "k8s_persistentvolume",
                         "k8s_ingress", "k8s_service"})
_HOST_PORT_PATH = re.compile(r"([a-z0-9*_][a-z0-9.*_-]*\.[a-z0-9-]+)(:\d{1,5})?(/.*)?")
_TOP = "\U0010ffff"  # sorts after every character: [prefix, prefix + _TOP) is every string starting with prefix


def terms(text: str) -> tuple[list[str], str | None]:
    """The exact terms `text` may be (as the index stores them) and the prefix to complete (None: no prefix
    search). A URL is its host; `host:port/path` without a scheme also its host; `namespace/name` and
    `cluster/namespace/name` as they are; `key = value` also as the tag term `key=value`."""
    text = text.strip()
    if not text:
        return [], None
    first = normalise(text)
    found = [first]
    bare = _HOST_PORT_PATH.fullmatch(first)
    if bare and (bare.group(2) or bare.group(3)):
        found.append(bare.group(1))
    is_tag = "=" in text and "://" not in text and not first.startswith("arn:")
    if is_tag:  # the tag term first: it is what the text means
        key, _, value = text.partition("=")
        found.insert(0, f"{key.strip().lower()}={value.strip().lower()}")
        prefix = found[0]
    else:
        prefix = first
    found = list(dict.fromkeys(term for term in found if term))
    return found, (prefix if len(prefix) >= MIN_PREFIX else None)


def search(cursor: Any, text: str, limit: int, base: str = "", complete: bool = False) -> dict:
    """Every resource `text` names (at most `limit`, best first: exact identifier, exact name, then prefix),
    each with its account's labels, what it matched on and the resolution path; `base` is the explorer's path
    for the links (`page`). Names and identifiers that only start with `text` come after the exact matches when
    `complete` (as you type), else only when nothing matches exactly (a half-remembered name)."""
    exact, prefix = terms(text)
    matches: list[dict] = []
    if exact:
        tags_only = "=" in (prefix or "")
        matches = _matches(cursor, exact, prefix if complete else None, tags_only, limit + 1)
        if not matches and not complete and prefix is not None:
            matches = _matches(cursor, exact, prefix, tags_only, limit + 1)
    truncated = len(matches) > limit
    matches = matches[:limit]
    _follow(cursor, matches)
    for match in matches:
        _link(match, base)
    return {"query": text, "identifier": exact[0] if exact else "", "terms": exact, "truncated": truncated,
            "matches": plain(matches)}


def _matches(cursor: Any, exact: list[str], prefix: str | None, tags_only: bool, limit: int) -> list[dict]:
    """The best `limit` resources, best first, each with its row of the index (and all its resolutions)."""
    best = _best(cursor, exact, prefix, tags_only, limit)
    if not best:
        return []
    terms_wanted = sorted({hit["term"] for hit in best})
    ids = sorted({hit["resource_id"] for hit in best})
    rows = records(cursor, f"""
        select hits.*, accounts.account_name, accounts.environment, accounts.team
        from marts.search_index as hits
        left join intermediate.int_inventory__accounts as accounts
            on accounts.account_id = hits.account_id
        where hits.term >= ? and hits.term <= ? and hits.term in ({", ".join("?" for _ in terms_wanted)})
          and hits.resource_id in ({", ".join("?" for _ in ids)})""",
        [terms_wanted[0], terms_wanted[-1], *terms_wanted, *ids])
    by_match: dict[tuple, list[dict]] = {}
    for row in rows:
        by_match.setdefault((row["term"], *_key(row)), []).append(row)
    matches = []
    for hit in best:
        found = by_match.get((hit["term"], *_key(hit)))
        if not found:  # (the build swapped the file between the two reads: the next search sees the new one)
            continue
        first = found[0]
        matches.append({
            **{name: first[name] for name in ("account_id", "account_name", "environment", "team", "region",
                                              "resource_type", "resource_id", "name", "state")},
            "matched_on": hit["term_kind"], "matched_term": hit["term"], "match": RANKS[hit["rank"]],
            "cluster": first["cluster"], "namespace": first["namespace"],
            "is_stale": any(row["is_stale"] for row in found),
            "resolutions": [{"how": row["resolves_via"], "through": row["resolves_through_record"],
                             "resource_type": row["resolves_to_resource_type"],
                             "resource_id": row["resolves_to_resource_id"], "name": row["resolves_to_resource_name"],
                             "account_id": row["resolves_to_account_id"], "region": row["resolves_to_region"]}
                            for row in found if row["resolves_to_resource_id"] is not None]})
    return matches


def _best(cursor: Any, exact: list[str], prefix: str | None, tags_only: bool, limit: int) -> list[dict]:
    """The best index row of each of the first `limit` resources, in order: (rank, shorter term, term). Reads
    narrow rows and keeps a resource's first; asks for more rows while repeats of a resource crowd the answer."""
    names_sql = ", ".join(f"'{kind}'" for kind in NAME_KINDS)  # (a fixed list, not user text)
    narrow = "term, term_kind, resource_type, account_id, region, resource_id"
    # one equality scan per exact term: each reads only the row group(s) its term is in
    branches = [f"select {narrow}, case when term_kind in ({names_sql}) then 1 else 0 end as rank "
                "from marts.search_index where term = ?" for _ in exact]
    parameters: list[Any] = [*exact]
    if prefix is not None:
        kinds = "term_kind = 'tag'" if tags_only else "term_kind <> 'tag'"
        branches.append(f"select {narrow}, 2 as rank from marts.search_index "
                        f"where term >= ? and term < ? and starts_with(term, ?) and {kinds}")
        parameters += [prefix, prefix + _TOP, prefix]
    union = " union all ".join(branches)
    wanted = 4 * limit
    while True:
        rows = records(cursor, f"""
            select * from ({union})
            order by rank, length(term), term, resource_type, account_id, region, resource_id,
                     term_kind = 'k8s_name', term_kind
            limit ?""", [*parameters, wanted])
        best: dict[tuple, dict] = {}
        for row in rows:
            best.setdefault(_key(row), row)
        if len(best) >= limit or len(rows) < wanted or wanted >= MAX_ROWS_READ:
            return list(best.values())[:limit]
        wanted *= 4


def _follow(cursor: Any, matches: list[dict]) -> None:
    """Each match's `via`: the hops from it to what finally answers, breadth first, each hop naming the resource
    it is reached from (`from_resource_id`) and its `depth` (1 = the match's own next hop)."""
    frontier: dict[tuple, list[tuple[dict, int]]] = {}  # resource key -> [(match, depth of its hop)]
    for match in matches:
        match["via"] = []
        match["seen"] = {_key(match)}
        resolutions = match.pop("resolutions")
        for resolved in sorted(resolutions, key=lambda r: (r["resource_type"], r["resource_id"]))[:MAX_FANOUT]:
            hop = {"depth": 1, "how": resolved["how"], "detail": resolved["through"] and
                   f"through {resolved['through']}", "from_resource_id": match["resource_id"],
                   "resource_type": resolved["resource_type"], "resource_id": resolved["resource_id"],
                   "name": resolved["name"], "state": None, "account_id": resolved["account_id"],
                   "region": resolved["region"]}
            _add_hop(match, hop, frontier)
        if not resolutions:
            frontier.setdefault(_key(match), []).append((match, 0))
    for _ in range(MAX_HOPS):
        frontier = {key: value for key, value in frontier.items() if key[0] in HOP_SOURCES}
        if not frontier:
            break
        wanted = list(frontier)[:MAX_FRONTIER]
        ids = sorted({key[3] for key in wanted})
        hops = records(cursor, f"""
            select * from marts.lookup_hops
            where from_resource_id in ({", ".join("?" for _ in ids)})
            order by from_resource_type, from_resource_id, how, to_resource_type, to_resource_id""", ids)
        following: dict[tuple, list[tuple[dict, int]]] = {}
        fanout: dict[tuple, int] = {}
        for row in hops:
            source = (row["from_resource_type"], row["from_account_id"], row["from_region"], row["from_resource_id"])
            for match, depth in frontier.get(source, []):
                counted = (id(match), source)
                if depth >= MAX_HOPS or fanout.get(counted, 0) >= MAX_FANOUT:
                    continue
                fanout[counted] = fanout.get(counted, 0) + 1
                hop = {"depth": depth + 1, "how": row["how"], "detail": row["detail"],
                       "from_resource_id": row["from_resource_id"], "resource_type": row["to_resource_type"],
                       "resource_id": row["to_resource_id"], "name": row["to_name"], "state": row["to_state"],
                       "account_id": row["to_account_id"], "region": row["to_region"]}
                _add_hop(match, hop, following)
        frontier = following
    for match in matches:
        del match["seen"]


def _key(resource: dict) -> tuple:
    return resource["resource_type"], resource["account_id"], resource["region"], resource["resource_id"]


def _add_hop(match: dict, hop: dict, frontier: dict) -> None:
    """Adds a hop to the match's path unless the path already reached that resource (no cycles, no repeats)."""
    key = _key(hop)
    if key in match["seen"]:
        return
    match["seen"].add(key)
    match["via"].append(hop)
    frontier.setdefault(key, []).append((match, hop["depth"]))


def _link(match: dict, base: str) -> None:
    """`page`, the resource page, for the match and each hop (none for a hop outside the inventory)."""
    for hop in [match, *match["via"]]:
        hop["page"] = _page(base, hop)


def _page(base: str, resource: dict) -> str | None:
    if None in (resource["resource_type"], resource["resource_id"], resource["account_id"], resource["region"]):
        return None
    return resource_url(base, resource["resource_type"], resource["account_id"], resource["region"],
                        resource["resource_id"])
