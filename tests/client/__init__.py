"""Tests of emulator/client/."""
