"""Rasa input/output channels: Telegram (python-telegram-bot), later SMS gateways."""
