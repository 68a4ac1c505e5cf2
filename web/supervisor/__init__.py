"""Supervisor pages (giám sát): the dashboard, the II.06a report, the indicators and the
service index, with their charts."""
