"""`migrate` (creates the SQLite directory first) and `seed`."""
