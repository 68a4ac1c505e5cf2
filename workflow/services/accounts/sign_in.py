"""Staff sign-in (đăng nhập) with a lock-out that neither reveals accounts nor lets a stranger
lock their owner out, after OWASP's "Slow Down Online Guessing Attacks with Device Cookies":

- a browser that has signed in to the account before (it shows a valid *device cookie*,
  issued by the web layer) has its own count: only that browser is held after
  `max_failures` wrong passwords in the window;
- every other client of the account shares one count: after `max_failures` wrong
  passwords from untrusted clients, untrusted clients wait until the lock ends (or an
  administrator unlocks), while the owner's known browser still signs in;
- a username that does not exist is counted and answered exactly like one that does.

The count is reserved before the password is checked (workflow.adapters.login_throttle), in
its own short transaction, so concurrent guesses cannot slip past the limit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from workflow.adapters import login_throttle as throttle
from workflow.adapters import users as user_store

from workflow.services.context import Context


@dataclass(frozen=True)
class Policy:
    max_failures: int = 5
    lock_minutes: int = 15  # both the window the failures are counted in and the lock

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.lock_minutes)


def attempt(ctx: Context, username: str, password: str, device: str | None,
            policy: Policy = Policy()):
    """(row, outcome) with outcome 'ok' | 'invalid' | 'locked'. `device` is the nonce of
    the browser's valid device cookie for this username, if it shows one."""
    key = (throttle.subject_key(throttle.DEVICE, device) if device
           else throttle.subject_key(throttle.UNTRUSTED, username))
    now = ctx.now()
    with ctx.engine.begin() as conn:
        place = throttle.reserve(conn, key, now, policy.window)
    if place > policy.max_failures:
        return None, "locked"
    with ctx.engine.begin() as conn:
        row = user_store.check_credentials(conn, username, password, now)
        if row is not None:
            (throttle.clear if device else throttle.give_back)(conn, key)
            return row, "ok"
        if place == policy.max_failures:
            throttle.lock(conn, key, now + policy.window)
            return None, "locked"
    return None, "invalid"


def prune(ctx: Context) -> int:
    """Forget the counts whose window has ended."""
    with ctx.engine.begin() as conn:
        return throttle.prune(conn, ctx.now())
