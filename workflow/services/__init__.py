"""Use cases (the application layer), grouped by capability: dossiers, deadlines,
notifications (outbox), surveys, reports, importing, accounts. Each function is one
transaction over `Context` (context.py) and `UnitOfWork` (unit_of_work.py); they import
the domain and the adapters, never Flask or Celery."""
