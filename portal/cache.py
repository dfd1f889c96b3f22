"""The shared cache (django-redis) with one change: while Redis cannot be reached, `add` says
it added the key.

The portal uses the cache for what it can do without: catalogue pages, sessions (also in the
database), and allauth's rate limits (login failures, sign-up, password reset). django-redis
with IGNORE_EXCEPTIONS already turns an unreachable Redis into a miss for reads and a skipped
write. But allauth takes a lock with `cache.add` before it counts an attempt, and a falsy `add`
means "somebody else holds the lock": after a second of retrying it answered 429 "too many
requests" to every sign-in, sign-up and password reset while the cache was down. Here the rate
limits fail open instead, with a warning in the log: nobody can hold a lock in a store that is
down, and nothing is counted either (the history reads as empty), so the limits are off until
Redis answers again.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django_redis.cache import RedisCache as DjangoRedisCache
from django_redis.exceptions import ConnectionInterrupted

logger = logging.getLogger(__name__)


class RedisCache(DjangoRedisCache):
    def add(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
        **kwargs: Any,
    ) -> bool:
        try:
            return bool(self.client.add(key, value, timeout=timeout, version=version, **kwargs))
        except ConnectionInterrupted as exc:
            if not self._ignore_exceptions:
                raise exc.__cause__ or exc from None
            logger.warning(
                "The cache cannot be reached (%s): add(%r) counted as done; rate limits "
                "(login, sign-up, password reset) are not enforced until it answers again.",
                exc.__cause__ or exc,
                key,
            )
            return True
