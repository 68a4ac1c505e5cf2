"""Staff accounts: signing in, with a lock-out that reveals no account."""
