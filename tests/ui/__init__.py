"""Tests of emulator/ui/."""
