"""Deadlines (thời hạn): the sweep that escalates steps and dossiers due soon or overdue,
once per crossing."""
