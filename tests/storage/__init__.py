"""Tests of emulator/storage/."""
