"""Tests of emulator/fanout/."""
