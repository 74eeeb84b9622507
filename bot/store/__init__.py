"""Storage: the conversation tracker store (and, later, the app database)."""
