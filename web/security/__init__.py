"""Cross-cutting protection at the edge: input rules and the guard that applies them, rate
limits, who sees personal numbers, and logs without secrets."""
