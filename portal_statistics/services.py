"""The public statistics' cache: one version key, set anew after each decision is committed."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "statistics:version"


def statistics_version() -> int:
    return int(cache.get_or_set(VERSION_KEY, time.time_ns, timeout=None) or 0)


def statistics_changed() -> None:
    """Make the next visitor compute the figures afresh. After commit: a visitor between the
    change and the commit would otherwise store the old figures under the new version."""
    transaction.on_commit(lambda: cache.set(VERSION_KEY, time.time_ns(), timeout=None))
