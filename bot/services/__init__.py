"""Survivor assistance: the services directory NGO staff maintain, search, and referrals."""
