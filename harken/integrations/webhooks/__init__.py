"""Outgoing webhooks: signed JSON events, Slack and Microsoft Teams incoming-webhook messages, delivered by the
worker with retries and a delivery log (DESIGN.md §5)."""
