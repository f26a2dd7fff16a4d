"""Metric alerts: rules on aggregates (a unit's NPS, its change, a theme's share, response rate, silence)."""
