"""The Dagster code location of the warehouse (`definitions.py` loads the `defs/` folder)."""
