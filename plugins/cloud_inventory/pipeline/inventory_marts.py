"""inventory_marts' report of a warehouse build (the build itself is warehouse.runner.build)."""
from __future__ import annotations

from cloud_inventory.warehouse.runner import BuildResult


def format_build(result: BuildResult) -> str:
    lines = [f"warehouse {result.warehouse} built in {result.seconds:.1f}s "
             f"({'full refresh' if result.full_refresh else 'incremental'}, build {result.build_id})",
             f"  {'model':<48} {'mode':<12} {'rows':>10} {'seconds':>8}"]
    for stat in result.stats:
        rows = "-" if stat["rows"] is None else f"{stat['rows']:,}"
        lines.append(f"  {stat['model']:<48} {stat['mode']:<12} {rows:>10} {stat['seconds']:>8.2f}")
    return "\n".join(lines)
