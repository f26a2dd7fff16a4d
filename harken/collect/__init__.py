"""Responses: what customers answered, on any channel."""
