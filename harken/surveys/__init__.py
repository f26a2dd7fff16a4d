"""Surveys, their questions and the journey touchpoints they are about."""
