"""What every use case needs from the outside world, passed in, never imported:
the database engine, the business calendar, the current time and the code format."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy.engine import Engine

from workflow.adapters.payments import DevelopmentGateway
from workflow.domain.codes import DEFAULT_FORMAT

DEFAULT_FILE_MAX = 20 * 1024 * 1024


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Context:
    engine: Engine
    calendar: object
    now: Callable[[], datetime] = utc_now
    code_format: str = DEFAULT_FORMAT
    files: object = None  # the file store (workflow.adapters.file_store), None: no files
    file_max_bytes: int = DEFAULT_FILE_MAX
    # online payment (workflow.adapters.payments), chosen by PAYMENT_GATEWAY; None: no
    # online payment. "dev" unless said otherwise: no real gateway exists here
    payment_gateway: object = field(default_factory=DevelopmentGateway)
