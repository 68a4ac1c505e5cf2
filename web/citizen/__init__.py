"""Pages for citizens, no login: the procedure catalog, the self-check before the trip,
the status lookup and the satisfaction survey."""
