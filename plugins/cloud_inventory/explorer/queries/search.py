"""Search: what an identifier someone pasted (an IP, a DNS name or URL, an id, an ARN, a name...) is, where it runs."""
from __future__ import annotations

from typing import Any

from cloud_inventory.cli import normalise
from cloud_inventory.explorer.queries import records


def search(cursor: Any, text: str, limit: int) -> dict:
    """Every resource the identifier names (marts.resource_lookup), with its account's labels."""
    identifier = normalise(text)
    matches = records(cursor, """
        select l.account_id, l.account_name, a.environment, a.team, l.region, l.resource_type, l.resource_id,
               l.resource_name as name, l.resource_state as state, l.identifier_kind as matched_on, l.cluster,
               l.resolves_via, l.resolves_to_resource_type, l.resolves_to_resource_id, l.resolves_to_account_id,
               l.resolves_to_region, l.is_stale
        from marts.resource_lookup l
        left join intermediate.int_inventory__accounts a on a.account_id = l.account_id
        where l.identifier = ?
        order by l.resource_type, l.resource_id
        limit ?""", [identifier, limit])
    for match in matches:
        via = []
        if match.pop("resolves_to_resource_id") is not None:
            via.append({"how": match["resolves_via"], "resource_type": match["resolves_to_resource_type"],
                        "account_id": match["resolves_to_account_id"], "region": match["resolves_to_region"]})
        match["via"] = via
        for key in ("resolves_via", "resolves_to_resource_type", "resolves_to_account_id", "resolves_to_region"):
            match.pop(key)
    return {"query": text, "identifier": identifier, "matches": matches}
