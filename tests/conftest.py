"""Fixtures shared by the whole suite."""

from tests.databases import app_database, postgres_url  # noqa: F401  (pytest fixtures)
