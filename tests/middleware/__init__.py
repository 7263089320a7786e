"""Tests of emulator/middleware/."""
