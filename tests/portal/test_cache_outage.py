"""The cache is an optimisation: when Redis cannot be reached, pages are rendered, sessions come
from the database and writes go through (portal/cache.py)."""

from __future__ import annotations

import logging
import socket

from portal.cache import ResilientRedisCache


def dead_redis() -> ResilientRedisCache:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return ResilientRedisCache(
        f"redis://127.0.0.1:{port}/0",
        {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}},
    )


def test_every_operation_answers_a_miss_and_logs_a_warning(caplog):
    cache = dead_redis()
    with caplog.at_level(logging.WARNING, logger="portal.cache"):
        assert cache.get("k", "default") == "default"
        assert cache.get_many(["a", "b"]) == {}
        assert cache.add("k", 1) is False
        cache.set("k", 1)
        assert cache.set_many({"a": 1}) == ["a"]
        assert cache.delete("k") is False
        cache.delete_many(["a"])
        assert cache.has_key("k") is False
        assert cache.touch("k") is False
    assert len(caplog.records) == 9
    assert all("Cache unreachable" in r.getMessage() for r in caplog.records)
