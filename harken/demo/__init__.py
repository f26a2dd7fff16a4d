"""The demo company: a believable organisation, surveys, contacts and two years of responses.

``harken demo`` loads it (see ``generator.load_demo``) so that a new installation has something real to
look at: stores that differ, touchpoints that differ, seasons, stores that improve and decline, and
comments whose themes match their scores.
"""
