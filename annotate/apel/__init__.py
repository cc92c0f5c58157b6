"""APEL: label SQL programs by picking outputs on small synthesized databases (METHODS.md §1).

models: per-study schemas and per-item labels; services: import, the per-assignment session, the
combined label; interface/views/api: thin layers over services.
"""
