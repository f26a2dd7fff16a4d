"""Connections to the rest of the business: customer behaviour from other systems (``CustomerEvent``) and
the NPS economics computed from it."""
