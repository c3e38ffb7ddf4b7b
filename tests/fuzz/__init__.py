"""The fuzz suite: hostile values through every public entry point and record constructor (docs/testing.md)."""
