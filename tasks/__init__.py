"""Celery adapter: the worker app, thin named tasks and the beat schedule."""
