"""Hearth: a self-hosted, bilingual community-management suite."""

__version__ = "0.1.0"
