"""Tests of emulator/push/."""
