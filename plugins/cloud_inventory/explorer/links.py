"""Links to a resource's page, the one way every area (and the CLI's search answer) writes them."""
from __future__ import annotations

from urllib.parse import quote


def resource_url(base: str, resource_type: str, account_id: str, region: str, resource_id: str) -> str:
    """The page of a resource under the explorer's mount `base`. The id keeps its slashes (readable: ARNs,
    `<cluster>/<namespace>/<name>`) unless a path normaliser could rewrite them (a leading slash, an empty, "." or
    ".." segment: a log group `/aws/lambda/x`): then every one is encoded. Type, account and region are encoded whole."""
    plain_slashes = all(segment not in ("", ".", "..") for segment in resource_id.split("/"))
    encoded = quote(resource_id, safe="/:@" if plain_slashes else ":@")
    return f"{base}/resources/{quote(resource_type, safe='')}/{quote(account_id, safe='')}/" \
           f"{quote(region, safe='')}/{encoded}"
