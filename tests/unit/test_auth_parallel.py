"""Sign-in under parallel attack (real stores, real argon2, threads): the limit and the memory bound hold.

The hasher is wrapped by a spy that counts verifications and the most that ran at once; the
spy's argon2 is real, with small costs so that 30-60 parallel checks stay light on a test machine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from incidents.auth import accounts
from incidents.auth.accounts import (
    MAX_CONCURRENT_VERIFICATIONS,
    MAX_FAILURES_PER_ACCOUNT,
    create_user,
    verify_credentials,
)
from incidents.errors import AccountLocked, AuthenticationFailed, SignInBusy
from incidents.store import IncidentStore, schema

PASSWORD = "correct horse battery"


class SpyHasher(PasswordHasher):
    """A real argon2id hasher that records how many verifications ran, and how many at once."""

    def __init__(self) -> None:
        super().__init__(time_cost=2, memory_cost=4096, parallelism=1)
        self._lock = threading.Lock()
        self.verified = 0
        self.running = 0
        self.most_at_once = 0
        self.started = threading.Condition(self._lock)

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with self._lock:
            self.verified += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.started.notify_all()
        try:
            return super().verify(hash, password)
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> SpyHasher:
    hasher = SpyHasher()
    monkeypatch.setattr(accounts, "_hasher", hasher)
    monkeypatch.setattr(accounts, "_dummy_hash", None)
    return hasher


def _run_at_once(attempts: list[Callable[[], Any]]) -> list[BaseException | Any]:
    """Start every attempt in its own thread at the same moment; their results or exceptions."""
    barrier = threading.Barrier(len(attempts))
    results: list[BaseException | Any] = [None] * len(attempts)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = attempts[index]()
        except BaseException as exc:  # noqa: BLE001 (collected for the assertions)
            results[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_thirty_parallel_attempts_check_at_most_five_passwords(store: IncidentStore, spy: SpyHasher) -> None:
    create_user(store, "ana", "analyst", PASSWORD)
    wrong_done = threading.Semaphore(0)

    def wrong(index: int) -> Callable[[], Any]:
        def attempt() -> Any:
            try:
                return verify_credentials(store, "ana", f"wrong guess {index:02d}", client_key="203.0.113.7")
            finally:
                wrong_done.release()

        return attempt

    def right() -> Any:
        # Attempt 30 comes while the others are being checked: once five checks have started
        # (or, if fewer ever start, once the 29 others have all ended).
        with spy.started:
            spy.started.wait_for(lambda: spy.verified >= MAX_FAILURES_PER_ACCOUNT, timeout=60)
        if spy.verified < MAX_FAILURES_PER_ACCOUNT:
            for _ in range(29):
                wrong_done.acquire(timeout=60)
        return verify_credentials(store, "ana", PASSWORD, client_key="203.0.113.7")

    results = _run_at_once([wrong(index) for index in range(29)] + [right])

    assert spy.verified <= MAX_FAILURES_PER_ACCOUNT
    assert isinstance(results[-1], AccountLocked), results[-1]  # the right password did not sign in
    assert all(isinstance(result, AuthenticationFailed | AccountLocked) for result in results[:-1]), results
    assert sum(isinstance(result, AuthenticationFailed) for result in results) == spy.verified
    with store.engine.connect() as conn:
        counted = conn.execute(
            select(func.count()).where(schema.signin_attempts.c.user_name == "ana")
        ).scalar_one()
        succeeded = conn.execute(
            select(func.count()).where(schema.signin_attempts.c.succeeded.is_(True))
        ).scalar_one()
    assert counted == MAX_FAILURES_PER_ACCOUNT and succeeded == 0
    assert "signin" not in store.audit_log()["action"].tolist()


def test_sixty_parallel_attempts_run_at_most_the_bound_of_hash_checks(
    sqlite_store: IncidentStore, spy: SpyHasher
) -> None:
    # Sixty different unknown names from sixty addresses: no rate limit applies, every attempt
    # needs a (dummy) hash check, and no more than the bound may run at once.
    def attempt(index: int) -> Callable[[], Any]:
        return lambda: verify_credentials(
            sqlite_store, f"nobody{index:02d}", "some guess x", client_key=f"198.51.100.{index}"
        )

    results = _run_at_once([attempt(index) for index in range(60)])

    assert 1 <= spy.most_at_once <= MAX_CONCURRENT_VERIFICATIONS
    assert all(isinstance(result, AuthenticationFailed | SignInBusy) for result in results), results
    # unknown names cost a hash like real ones: every attempt that was not refused was checked
    assert spy.verified == sum(isinstance(result, AuthenticationFailed) for result in results) >= 1


def test_an_attempt_refused_as_busy_still_counts(
    sqlite_store: IncidentStore, spy: SpyHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_user(sqlite_store, "ana", "analyst", PASSWORD)
    monkeypatch.setattr(accounts, "VERIFICATION_WAIT_S", 0.01)
    taken = [accounts._verifications.acquire(timeout=5) for _ in range(MAX_CONCURRENT_VERIFICATIONS)]
    try:
        assert all(taken)
        with pytest.raises(SignInBusy, match="busy"):
            verify_credentials(sqlite_store, "ana", PASSWORD)
    finally:
        for _ in taken:
            accounts._verifications.release()
    assert spy.verified == 0
    with sqlite_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.signin_attempts)).scalar_one() == 1
    assert store_details(sqlite_store)[-1].endswith("refused, server busy")
    assert verify_credentials(sqlite_store, "ana", PASSWORD).name == "ana"  # a free slot: signed in


def store_details(store: IncidentStore) -> list[str]:
    return [str(detail) for detail in store.audit_log()["details"].tolist()]
