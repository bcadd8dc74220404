"""inventory_marts' report of a warehouse build (the build itself is warehouse.runner.build)."""
from __future__ import annotations

from typing import Any

from cloud_inventory.warehouse.runner import BuildResult


def format_build(result: BuildResult) -> str:
    lines = [f"warehouse {result.warehouse} built in {result.seconds:.1f}s "
             f"({'full refresh' if result.full_refresh else 'incremental'}, build {result.build_id})",
             f"  {'model':<48} {'mode':<12} {'rows':>10} {'seconds':>8}"]
    for stat in result.stats:
        rows = "-" if stat["rows"] is None else f"{stat['rows']:,}"
        lines.append(f"  {stat['model']:<48} {stat['mode']:<12} {rows:>10} {stat['seconds']:>8.2f}")
    return "\n".join(lines)


def warehouse_event(result: BuildResult) -> dict[str, Any]:
    """What the warehouse Asset's event says (its `extra`, shown on the Assets page; JSON values only): the build,
    how it ran, and what it read anew from the lake."""
    return {
        "build_id": result.build_id,
        "full_refresh": result.full_refresh,
        "seconds": result.seconds,
        "models": len(result.stats),
        "models_rebuilt": sum(1 for stat in result.stats if stat["mode"] != "unchanged"),
        "dates_rebuilt": [day.isoformat() for day in result.dates_rebuilt],
        "sources_rebuilt": list(result.sources_rebuilt),
    }
