"""The marts benchmark still runs: its quick mode fails when a build fails, when adding a day rebuilds staging
whole instead of only the new date, or when a mart comes out empty."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "marts.py"


def test_quick_benchmark_builds_the_lake_then_adds_one_day_incrementally(quick_bench_cache):
    result = subprocess.run([sys.executable, str(BENCH), "--quick", "--cache-dir", str(quick_bench_cache)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-3000:]
    assert "[OK] full build succeeded: yes" in result.stdout
    assert "[OK] +1 day build succeeded: yes" in result.stdout
    assert "[OK] +1 day: staging models over dated sources report '1 date(s)' or 'unchanged'" in result.stdout
    assert "[OK] +1 day build: every mart has rows" in result.stdout
    assert "[OK] the lake's rows are the manifests' rows" in result.stdout


# --------------------------------------------------------------------------------------------------
# the generated `raw` has the real APIs' shapes


def _walk(shape, path: str):
    """The botocore shape at a simple JMESPath ("Reservations[].Instances[]", "DistributionList.Items[]")."""
    for part in path.split("."):
        name, listed = part.removesuffix("[]"), part.endswith("[]")
        if name:
            shape = shape.members[name]
        if listed:
            shape = shape.member
    return shape


def _output(service: str, operation: str):
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    api = next(name for name in model.operation_names if xform_name(name) == operation)
    return model.operation_model(api).output_shape


def _unknown_keys(value, shape, path: str) -> set[str]:
    """Keys of `value` that its botocore shape has no member for (maps take any key)."""
    found = set()
    if isinstance(value, dict):
        if shape.type_name == "map":
            for item in value.values():
                found |= _unknown_keys(item, shape.value, path + ".*")
        elif shape.type_name == "structure":
            for key, item in value.items():
                if key not in shape.members:
                    found.add(f"{path}.{key}")
                else:
                    found |= _unknown_keys(item, shape.members[key], f"{path}.{key}")
        else:
            found.add(f"{path} (an object where the API has {shape.type_name})")
    elif isinstance(value, list):
        if shape.type_name != "list":
            found.add(f"{path} (a list where the API has {shape.type_name})")
        else:
            for item in value:
                found |= _unknown_keys(item, shape.member, path + "[]")
    return found


def test_generated_raw_uses_only_members_of_the_real_api_shapes(tmp_path):
    """Every key of every generated object is a member of the API's own response shape (botocore's models),
    with what the extractor adds (detail calls `into` a key, looked-up tags) checked against those calls."""
    import json
    from datetime import date

    import duckdb

    sys.path.insert(0, str(BENCH.parent))
    import marts_lake
    from cloud_inventory.aws.registry import REGISTRY

    params = marts_lake.Params(resources=8000, days=2, accounts=2, regions=1, clusters=0, end=date(2026, 1, 10))
    folder = tmp_path / "lake"
    marts_lake.generate(params, folder, log=lambda line: None)
    con = duckdb.connect()
    problems = {}
    for entry in REGISTRY:
        if entry.fetch:  # statistics: items the extractor builds itself
            continue
        if entry.details and entry.details[0].into is None:  # list of names, then describe: the described object
            detail = entry.details[0]
            shape = _walk(_output(entry.service, detail.operation), detail.result)
        else:
            shape = _walk(_output(entry.service, entry.operation), entry.items)
        added = {d.into: _walk(_output(entry.service, d.operation), d.result) for d in entry.details if d.into}
        if entry.tag_lookup:
            lookup = entry.tag_lookup
            added["Tags"] = _walk(_output(entry.service, lookup.operation), lookup.result + "[]").members["Tags"]
        rows = con.execute(f"select raw from read_parquet('{folder}/lake/raw/aws/{entry.name}/*/*/*/*.parquet') "
                           "using sample 200 rows").fetchall()
        assert rows or entry.name in ("redshift_cluster", "sagemaker_notebook", "sagemaker_endpoint",
                                      "eks_cluster", "eks_nodegroup"), f"no rows generated for {entry.name}"
        unknown = set()
        for (raw,) in rows:
            item = json.loads(raw)
            for key, value in list(item.items()):
                if key in added:
                    if value is not None:
                        unknown |= _unknown_keys(value, added[key], key)
                    del item[key]
            unknown |= _unknown_keys(item, shape, "")
        if unknown:
            problems[entry.name] = sorted(unknown)
    assert not problems, problems
