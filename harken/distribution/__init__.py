"""Sending survey invitations on every channel."""
