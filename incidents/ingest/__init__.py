"""Importing incident files: read → detect format → adapt → validate → dedupe → commit.

Stages hand each other the small typed containers in :mod:`incidents.ingest.staged`.
"""
