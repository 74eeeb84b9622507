"""Explosive ordnance risk education and survivor assistance assistant."""

__version__ = "0.1.0"
