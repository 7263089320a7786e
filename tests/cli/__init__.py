"""Tests of emulator/cli/."""
