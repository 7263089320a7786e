"""Test helpers shared by every test package: the demo account, stored rows, servers."""
