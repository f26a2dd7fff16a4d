"""Harken — a self-hosted Net Promoter System."""

__version__ = "0.1.0"
