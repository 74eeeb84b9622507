"""Outreach: area-alert subscriptions, campaigns and alerts sent on a task queue, follow-ups
on reports and referrals, partner notifications, and knowledge/attitude/practice surveys."""
