"""The organisation tree, people and who may see what."""
