import sys

from cloud_inventory.cli import main

sys.exit(main())
