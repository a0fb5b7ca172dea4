"""One module per provider route: its rules and its answer's shape (CONTRACT A)."""
