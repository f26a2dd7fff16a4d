"""Engage: the executive report (HTML and PDF, with a narrative from the data), its scheduled delivery, and
wall screens for stores. Sub-apps: ``digests`` (email digests per user) and ``metric_alerts`` (rules on
aggregates)."""
