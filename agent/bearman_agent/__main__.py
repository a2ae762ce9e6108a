"""`python -m bearman_agent` and the zipapp entry point."""

import sys

from bearman_agent.cli import main

sys.exit(main())
