"""Customers who are asked for feedback."""
