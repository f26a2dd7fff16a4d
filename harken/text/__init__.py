"""Understanding comments: sentiment, the theme taxonomy, tagging, and theme impact on NPS."""
