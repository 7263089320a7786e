"""Tests of emulator/routes/."""
