"""Two beats on PostgreSQL and Redis: one schedules, the other waits as a standby and takes
over when the first dies; a beat that loses its lock's connection stops (tasks/beat_lock.py)."""
from __future__ import annotations

import signal
import time

import pytest
from sqlalchemy import text

from tests.e2e.conftest import wait_for
from tests.e2e.test_worker import pg_ctx, worker_env  # noqa: F401 - pg_ctx: a fixture

pytestmark = pytest.mark.e2e
SENDING = "Sending due task"


def log_of(proc) -> str:
    return proc.log_path.read_text()


def test_one_beat_schedules_and_a_standby_takes_over(pg_ctx, db_url, redis_url, start_celery, tmp_path):
    env = worker_env(db_url, redis_url, 1)
    first = start_celery(env, "beat")
    wait_for(lambda: SENDING in log_of(first), timeout=60)
    assert "this beat holds the schedule" in log_of(first)

    second = start_celery(env, "beat")
    wait_for(lambda: "waits as a standby" in log_of(second), timeout=60)
    time.sleep(3)  # six outbox ticks of the first beat
    assert SENDING not in log_of(second) and second.poll() is None

    first.send_signal(signal.SIGKILL)  # a crash: no clean shutdown, the session just ends
    first.wait(timeout=10)
    wait_for(lambda: "this beat holds the schedule" in log_of(second), timeout=30)
    wait_for(lambda: SENDING in log_of(second), timeout=30)


@pytest.mark.expected_errors(r"lost the schedule lock's connection .*: stopping this beat")  # provoked
def test_a_beat_that_loses_the_lock_connection_stops(pg_ctx, db_url, redis_url, start_celery, engine):
    beat = start_celery(worker_env(db_url, redis_url, 1), "beat")
    wait_for(lambda: SENDING in log_of(beat), timeout=60)
    with engine.connect() as conn:
        ended = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'motcua-beat-lock' AND datname = current_database()")).scalar()
    assert ended == 1
    assert wait_for(lambda: beat.poll() is not None, timeout=30)
    assert beat.returncode == 1
    assert "lost the schedule lock's connection" in log_of(beat)
