"""Test kit shared across test packages: local servers that speak real wire protocols."""
