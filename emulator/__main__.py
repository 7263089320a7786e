"""Lets `python -m emulator` run the command line."""

from emulator.cli import main

raise SystemExit(main())
