"""The unit of work: one database transaction per command.

Everything a command writes (the dossier's new state, its events, its outbox messages)
commits together or not at all; leaving the block without `commit()` rolls back.
"""
from __future__ import annotations

from sqlalchemy.engine import Engine

from workflow.adapters.repository import DossierRepository, ProcedureRepository


class UnitOfWork:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.conn = None

    def __enter__(self) -> "UnitOfWork":
        self.conn = self.engine.connect()
        self._tx = self.conn.begin()
        self.procedures = ProcedureRepository(self.conn)
        self.dossiers = DossierRepository(self.conn, self.procedures)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self._tx.is_active:
                self._tx.rollback()
        finally:
            self.conn.close()
            self.conn = None

    def commit(self) -> None:
        self._tx.commit()

    def rollback(self) -> None:
        self._tx.rollback()
