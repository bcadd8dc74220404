"""`make airflow`: the Airflow UI (standalone: api-server, scheduler, dag-processor, triggerer) on the demo estate.

Starts the AWS emulator seeded with the demo estate, points every Airflow component at it through
AWS_ENDPOINT_URL, and runs `airflow standalone` until interrupted. Everyone is admin (local demo only).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cloud_inventory.demo.emulator import Emulator
from cloud_inventory.demo.run import DEMO_FAULTS


def main() -> int:
    with Emulator(seed_demo=True) as emulator:
        emulator.set_faults(DEMO_FAULTS)
        env = {**os.environ, **emulator.env(),
               "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
               "AIRFLOW__API__PORT": os.environ.get("AIRFLOW_PORT", "8080")}
        print(f"AWS emulator with the demo estate on {emulator.url}; Airflow UI on "
              f"http://localhost:{env['AIRFLOW__API__PORT']} (Ctrl-C stops both)", flush=True)
        try:
            return subprocess.run([str(Path(sys.executable).parent / "airflow"), "standalone"], env=env).returncode
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
