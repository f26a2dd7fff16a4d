"""Pages people look at every day."""
