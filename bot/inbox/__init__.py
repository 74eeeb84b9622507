"""Inbox before answer: every accepted webhook message is stored, then answered, then marked done."""
