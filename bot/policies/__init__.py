"""Dialogue policies of our own, registered in config.yml by module path."""
