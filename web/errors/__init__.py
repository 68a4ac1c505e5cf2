"""How errors answer: pages for people, JSON on /api/, 503 during a database outage."""
