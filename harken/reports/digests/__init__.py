"""Email digests: each user's daily, weekly or monthly summary of their units."""
