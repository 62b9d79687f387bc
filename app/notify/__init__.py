"""Notifications: the outbox (written with the case event), its dispatcher and the channel adapters."""
