"""Container health check of the web service: GET /healthz on the local gunicorn.

Exits 0 when the web service itself works (its database and broker answer), 1 otherwise. A
missing worker or beat makes /healthz answer 503 too, but does not make the web service
unhealthy: the worker and beat containers wait for a healthy web service (the migrations), and
they report themselves through /healthz. The request names a host from DJANGO_ALLOWED_HOSTS,
since Django rejects any other Host header.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request


def allowed_host() -> str:
    for entry in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(","):
        host = entry.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def main() -> int:
    request = urllib.request.Request(
        "http://127.0.0.1:8000/healthz", headers={"Host": allowed_host()}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(request, timeout=4) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:  # 503: read which components fail
        body = exc.read()
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthz: {exc}", file=sys.stderr)
        return 1
    try:
        checks = json.loads(body)["checks"]
    except (ValueError, KeyError, TypeError):
        print("healthz: not the portal's answer", file=sys.stderr)
        return 1
    own = ("database", "broker")
    return 0 if all(checks.get(name, {}).get("ok") for name in own) else 1


if __name__ == "__main__":
    sys.exit(main())
