"""Act: alert rules, cases with owners and deadlines, escalation (DESIGN.md §3, the inner loop)."""
