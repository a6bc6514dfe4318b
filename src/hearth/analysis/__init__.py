"""Hearth analysis engine: language, sentiment, abuse, intent and spam for batches of messages."""

from hearth.analysis.engine import BatchAnalysis, analyze_batch, get_engine

__all__ = ["BatchAnalysis", "analyze_batch", "get_engine"]
