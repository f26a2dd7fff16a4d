"""Small pure helpers shared across Harken's apps."""
