"""NPS statistics and the one query path every page, API, export and report uses."""
