"""Reads never block builds, builds never break reads (issue 14, point 5).

A real warehouse build (warehouse/runner.py `build`, in a process of its own as the inventory_marts task runs it)
replaces a copy of the demo warehouse while clients query the explorer in a loop (threads on the real Airflow app
with the plugin), and one reader holds a cursor on the old file the whole time. The build's estate differs from the
copy's (prod's team in the accounts file), so each answer says which build it came from.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path


PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_ACCOUNTS = PROJECT_ROOT / "include" / "config" / "accounts.demo.yaml"
OLD_TEAM, NEW_TEAM = "platform", "storefront"  # prod's team before and after
PROD = "111111111111"
READERS = 4
BUILD_TIMEOUT = 300  # seconds; the demo warehouse's incremental build takes ~5 s alone
AFTER_BUILD = 30  # seconds the readers go on at most, until each has seen the new build a few times

BUILD = """
import json
from cloud_inventory import settings
from cloud_inventory.warehouse.runner import build

result = build(settings.load())
print(json.dumps({"seconds": result.seconds, "full_refresh": result.full_refresh, "phases": result.phases}))
"""


def which_build(answer, kind: str) -> str:
    """'old' or 'new' from one answer of the explorer, or what was wrong with it."""
    if answer.status_code != 200:
        return f"{kind}: {answer.status_code} {answer.text[:300]}"
    if kind == "api":
        teams = {m["team"] for m in answer.json()["matches"] if m["account_id"] == PROD}
    else:  # the search page's table: prod's rows show the team
        teams = {team for team in (OLD_TEAM, NEW_TEAM) if f"<td>{team}</td>" in answer.text}
    if teams == {OLD_TEAM}:
        return "old"
    if teams == {NEW_TEAM}:
        return "new"
    return f"{kind}: prod's team is {sorted(teams)} (a mix, or neither build's)"


def test_a_build_replaces_the_warehouse_under_readers_without_an_error_and_answers_switch_to_it(
        explorer, viewer, demo_world, demo_warehouse, tmp_path, monkeypatch):
    from cloud_inventory.explorer.warehouse import warehouse_at

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_warehouse, warehouse)
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(warehouse))
    accounts = tmp_path / "accounts.yaml"  # the next build's estate: prod (the first account) moved to another team
    accounts.write_text(DEMO_ACCOUNTS.read_text().replace(f"team: {OLD_TEAM}", f"team: {NEW_TEAM}", 1))

    requests = [("api", "/inventory/api/search", {"q": "10.10.32.4"}),
                ("page", "/inventory/", {"q": "www.shop.example.com"})]
    seen: list[tuple[int, float, float, str]] = []  # (reader, started, finished, "old" | "new" | what was wrong)
    stop = threading.Event()

    def read(reader: int) -> None:
        turn = reader
        while not stop.is_set():
            kind, path, params = requests[turn % len(requests)]
            turn += 1
            started = time.monotonic()
            try:
                outcome = which_build(explorer.get(path, params=params, headers=viewer), kind)
            except Exception as error:  # noqa: BLE001 - every failure is an outcome to report
                outcome = f"{kind}: {type(error).__name__}: {error}"
            seen.append((reader, started, time.monotonic(), outcome))

    wh = warehouse_at(warehouse)
    with wh.cursor() as held:  # a reader that keeps the old file open across the whole build
        def held_team() -> str:
            return held.execute("select team from intermediate.int_inventory__accounts where account_id = ?",
                                [PROD]).fetchone()[0]

        assert held_team() == OLD_TEAM
        readers = [threading.Thread(target=read, args=(number,), daemon=True) for number in range(READERS)]
        for thread in readers:
            thread.start()
        try:
            time.sleep(1)
            # the lock a build takes (runner.warehouse_lock) is free while readers read: they never take it
            with open(f"{warehouse}.lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises BlockingIOError if anyone held it
                fcntl.flock(lock, fcntl.LOCK_UN)

            env = {**os.environ, **demo_world["env"], "INVENTORY_ACCOUNTS_FILE": str(accounts),
                   "INVENTORY_WAREHOUSE_PATH": str(warehouse)}
            env.pop("AWS_ENDPOINT_URL", None)
            build_started = time.monotonic()
            done = subprocess.run([sys.executable, "-c", BUILD], env=env, capture_output=True, text=True,
                                  timeout=BUILD_TIMEOUT)
            build_finished = time.monotonic()
            assert done.returncode == 0, done.stderr[-3000:]
            build = json.loads(done.stdout.strip().splitlines()[-1])

            deadline = build_finished + AFTER_BUILD
            while time.monotonic() < deadline and not all(
                    sum(1 for r, started, _, outcome in seen if r == reader and started > build_finished) >= 3
                    for reader in range(READERS)):
                time.sleep(0.2)
        finally:
            stop.set()
            for thread in readers:
                thread.join(60)
        # the build did not wait for this reader: it finished while the old file was open here, which still reads
        assert held_team() == OLD_TEAM
    wh.close()

    assert not build["full_refresh"], build
    errors = [outcome for *_, outcome in seen if outcome not in ("old", "new")]
    assert errors == [], f"{len(errors)} of {len(seen)} answers were wrong: {errors[:5]}"
    before = [outcome for _, started, finished, outcome in seen if finished < build_started]
    during = [outcome for _, started, finished, outcome in seen if started >= build_started and finished <= build_finished]
    after = [outcome for _, started, _, outcome in seen if started > build_finished]
    print(f"build {build}, {build_finished - build_started:.1f} s in its process; answers: {len(before)} before, "
          f"{len(during)} during, {len(after)} after")
    assert before and set(before) == {"old"}
    assert len(during) >= READERS, f"only {len(during)} answers while the {build['seconds']} s build ran"
    assert after and set(after) == {"new"}, f"{after.count('old')} of {len(after)} answers after the build were old"
    for reader in range(READERS):  # each reader switched once, for good: old answers, then only new ones
        outcomes = [outcome for r, started, _, outcome in sorted(seen, key=lambda s: s[1]) if r == reader]
        switched = outcomes.index("new")
        assert set(outcomes[:switched]) == {"old"} and set(outcomes[switched:]) == {"new"}, outcomes
