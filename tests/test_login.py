"""Issue 14, finding 8: sign-in throttled by address and by username with a doubling back-off that an attacker
cannot turn into a lock-out of the real user; the same work for a username that does not exist; a password
rule that refuses common and trivial passwords; the sysadmins told of repeated failures."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
from factories import PASSWORD, lengthen_back_off
from sqlmodel import select

from market import signin
from market.accounts import create_user, update_user
from market.errors import InvalidInput, NotAuthenticated, TooManyAttempts
from market.models import Notice, utcnow


class Clock:
    """``market.signin``'s idea of now, moved by hand."""

    def __init__(self, monkeypatch) -> None:
        self.now = utcnow()
        monkeypatch.setattr(signin, "utcnow", lambda: self.now)

    def tick(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _fail(db, username: str, ip: str) -> type[Exception]:
    try:
        signin.authenticate(db, username, "wrong-password", ip)
    except (NotAuthenticated, TooManyAttempts) as exc:
        return type(exc)
    raise AssertionError("a wrong password signed in")


def test_one_address_guessing_across_many_usernames_is_slowed_down(db, world, monkeypatch):
    clock = Clock(monkeypatch)
    refused = 0
    for i in range(80):  # the 80 attempts over 40 usernames from one address, 0.5 s apart
        refused += _fail(db, f"guess{i % 40}", "203.0.113.9") is TooManyAttempts
        clock.tick(0.5)
    print(f"\n80 attempts over 40 usernames from one address in 40 s: {refused} refused by the back-off")
    assert refused >= 60
    # the back-off is the address's: the same address cannot sign in even with the right password now ...
    with pytest.raises(TooManyAttempts) as exc:
        signin.authenticate(db, "staff_edu", PASSWORD, "203.0.113.9")
    assert "秒后再试" in exc.value.message
    # ... while the real user from another address is not affected
    assert signin.authenticate(db, "staff_edu", PASSWORD, "198.51.100.7").username == "staff_edu"


def test_the_back_off_doubles_and_is_counted_from_the_latest_failure(db, world, monkeypatch):
    clock = Clock(monkeypatch)
    ip = "203.0.113.10"
    waits = []
    for _ in range(signin.PAIR_FREE + 4):
        wait = signin.wait_needed(db, "staff_edu", ip, clock.now)
        clock.tick(wait.total_seconds())
        assert _fail(db, "staff_edu", ip) is NotAuthenticated  # waited long enough: the password is checked
        waits.append(signin.wait_needed(db, "staff_edu", ip, clock.now).total_seconds())
    print(f"\nwaits after each failure of one username from one address: {waits}")
    assert waits[:signin.PAIR_FREE - 1] == [0] * (signin.PAIR_FREE - 1)
    assert waits[signin.PAIR_FREE - 1:] == [1, 2, 4, 8, 16]


def test_attempts_refused_by_the_back_off_do_not_lengthen_it(db, world, monkeypatch):
    clock = Clock(monkeypatch)
    ip = "203.0.113.11"
    for _ in range(signin.PAIR_FREE + 2):
        clock.tick(signin.wait_needed(db, "mgr_edu", ip, clock.now).total_seconds())
        _fail(db, "mgr_edu", ip)
    before = signin.wait_needed(db, "mgr_edu", ip, clock.now)
    for _ in range(50):
        assert _fail(db, "mgr_edu", ip) is TooManyAttempts
    assert signin.wait_needed(db, "mgr_edu", ip, clock.now) == before
    clock.tick(before.total_seconds())
    assert signin.authenticate(db, "mgr_edu", PASSWORD, ip).username == "mgr_edu"


def test_failures_against_the_sysadmin_cannot_lock_the_sysadmin_out(db, world, monkeypatch):
    clock = Clock(monkeypatch)
    office = "192.0.2.1"
    assert signin.authenticate(db, "sysadmin", PASSWORD, office).username == "sysadmin"  # their own address
    clock.tick(3600)
    for i in range(200):  # a distributed attacker: many addresses, the sysadmin's name, as fast as allowed
        _fail(db, "sysadmin", f"10.0.{i // 250}.{i % 250}")
        clock.tick(0.2)
    wait_elsewhere = signin.wait_needed(db, "sysadmin", "198.51.100.20", clock.now)
    print(f"\nafter 200 failures of the sysadmin's name from 200 addresses: own address waits "
          f"{signin.wait_needed(db, 'sysadmin', office, clock.now).total_seconds()} s, a new address "
          f"{wait_elsewhere.total_seconds()} s")
    assert signin.authenticate(db, "sysadmin", PASSWORD, office).username == "sysadmin"
    assert timedelta(0) < wait_elsewhere <= signin.USERNAME_CAP
    clock.tick(signin.USERNAME_CAP.total_seconds())
    assert signin.authenticate(db, "sysadmin", PASSWORD, "198.51.100.20").username == "sysadmin"


def test_an_unknown_username_costs_the_same_password_check(db, world, monkeypatch):
    calls = []
    real = signin.verify_password
    monkeypatch.setattr(signin, "verify_password", lambda h, p: calls.append(h) or real(h, p))
    _fail(db, "staff_edu", "192.0.2.50")
    _fail(db, "no_such_person", "192.0.2.51")
    assert len(calls) == 2 and all(h.startswith("$argon2id$") for h in calls)
    assert calls[0].split("$")[3] == calls[1].split("$")[3]  # the same argon2 parameters


def test_timing_of_a_known_and_an_unknown_username_over_http(http):
    """Prints the median answer time of each, measured in turns (no assertion on time)."""
    times: dict[str, list[float]] = {"staff_edu": [], "nobody_here": []}
    http.post("/api/session", json={"username": "warm_up", "password": "x"})
    for i in range(4):  # 4 failures of each name: below every back-off
        for username in times:
            t = time.perf_counter()
            r = http.post("/api/session", json={"username": username, "password": f"wrong-{i}"})
            times[username].append(time.perf_counter() - t)
            assert r.status_code == 401
    known, unknown = (statistics.median(v) * 1000 for v in times.values())
    print(f"\nPOST /api/session, wrong password, median of 4 in turns: existing username {known:.1f} ms, "
          f"missing username {unknown:.1f} ms, ratio {known / unknown:.2f}")


def test_the_api_answers_a_throttled_sign_in_with_429_and_a_chinese_message(http, world, db):
    for _ in range(signin.PAIR_FREE):
        assert http.post("/api/session", json={"username": "mgr_health", "password": "x"}).status_code == 401
    lengthen_back_off("mgr_health")
    r = http.post("/api/session", json={"username": "mgr_health", "password": PASSWORD})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "throttled" and "秒后再试" in r.json()["error"]["message"]


def test_the_sign_in_page_shows_the_back_off_in_chinese(http, world):
    from conftest import login

    for _ in range(signin.PAIR_FREE):
        assert login(http, "mgr_health", "wrong-password").status_code == 401
    lengthen_back_off("mgr_health")
    r = login(http, "mgr_health")
    assert r.status_code == 429 and "秒后再试" in r.text


def test_sysadmins_are_told_of_repeated_failures(db, world, monkeypatch):
    clock = Clock(monkeypatch)
    for i in range(signin.NOTICE_AT + 5):
        _fail(db, "finance", f"10.1.0.{i}")  # one failure from each address: no address back-off
        clock.tick(signin.USERNAME_CAP.total_seconds())
    db.expire_all()
    notices = db.exec(select(Notice).where(Notice.kind == "login_failures")).all()
    assert [n.user_id for n in notices] == [world.users["sysadmin"].id]  # once, to the sysadmin only
    assert "finance" in notices[0].text and f"{signin.NOTICE_AT} 次" in notices[0].text
    for _ in range(signin.NOTICE_AT):  # and of one address trying many names
        _fail(db, f"x{clock.now.timestamp()}", "203.0.113.77")
        clock.tick(3600 / 4 / signin.NOTICE_AT)
    db.expire_all()
    texts = [n.text for n in db.exec(select(Notice).where(Notice.kind == "login_failures").order_by(Notice.id))]
    assert len(texts) == 2 and "203.0.113.77" in texts[1]


@pytest.mark.parametrize("password", [
    "aaaaaaaa", "aaaaaaaaaa", "password123", "1234567890", "qwertyuiop", "1qaz2wsx3edc", "woaini1314",
    "Woaini1314!", "abcdefghij", "iloveyou123", "P@ssw0rd2024",
])
def test_common_and_trivial_passwords_are_refused(db, world, password):
    with pytest.raises(InvalidInput) as exc:
        create_user(db, None, "zhangsan", "unit_staff", password, world.edu.id, "张三")
    assert exc.value.field == "password"
    with pytest.raises(InvalidInput):
        update_user(db, world.users["sysadmin"], world.users["staff_edu"].id, password=password)


def test_a_password_made_of_the_username_is_refused(db, world):
    with pytest.raises(InvalidInput):
        create_user(db, None, "liuxiaoming", "unit_staff", "liuxiaoming2024", world.edu.id)


@pytest.mark.parametrize("password", ["Plum-orchard-river-42", "tea 港口 lantern 9 stone", "long-enough-1"])
def test_a_strong_password_is_accepted(db, world, password):
    user = create_user(db, None, "zhangsan", "unit_staff", password, world.edu.id, "张三")
    assert signin.authenticate(db, "zhangsan", password).id == user.id


def test_the_api_refuses_a_weak_password_with_a_structured_error(http, world):
    token = http.post("/api/session", json={"username": "sysadmin", "password": PASSWORD}).json()["token"]
    r = http.post(f"/api/users/{world.users['staff_edu'].id}", headers={"Authorization": f"Bearer {token}"},
                  json={"password": "aaaaaaaa"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "password"
    assert "密码" in r.json()["error"]["message"]
