"""Storage: every SQL statement the emulator runs, its tables, and the one writer."""
