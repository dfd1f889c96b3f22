"""Start the test OpenID Provider (tests/oidc/provider.mjs, panva's oidc-provider) on loopback.

`npm ci` installs it into tests/oidc/node_modules (git-ignored) when that is missing or older than
package-lock.json. Without Node.js the tests that need the provider are skipped, with the reason;
with PORTAL_REQUIRE_OIDC_TEST set (as .ci/run does), they fail instead.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
START_TIMEOUT = 30


@dataclass
class OIDCTestProvider:
    issuer: str
    client_id: str
    client_secret: str
    accounts_file: Path

    def set_accounts(self, accounts: dict[str, dict]) -> None:
        """What the provider releases for each login name from the next sign-in on."""
        self.accounts_file.write_text(json.dumps(accounts))


def _unavailable(reason: str) -> None:
    if os.environ.get("PORTAL_REQUIRE_OIDC_TEST"):
        pytest.fail(f"the OpenID provider tests must run here: {reason}")
    pytest.skip(reason)


def _npm_ci(npm: str) -> None:
    installed = HERE / "node_modules" / ".package-lock.json"
    lock = HERE / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=HERE,
        check=True,
        timeout=300,
    )


def _read_issuer(process: subprocess.Popen[str]) -> str:
    """The issuer from the provider's first JSON line on stdout (its warnings come first)."""
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout], daemon=True
    ).start()
    deadline = time.monotonic() + START_TIMEOUT
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line.startswith("{"):
            return json.loads(line)["issuer"]
    process.kill()
    raise RuntimeError("the test OpenID provider did not start (see its stderr above)")


@contextmanager
def running_provider(
    redirect_uris: list[str], accounts: dict[str, dict]
) -> Iterator[OIDCTestProvider]:
    """A provider with one confidential client allowed to redirect to `redirect_uris`."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("Node.js 20 and npm are not installed (the test OpenID provider needs them)")
    assert node is not None and npm is not None
    _npm_ci(npm)
    client_id, client_secret = "portal-tests", secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as tmp:
        accounts_file = Path(tmp) / "accounts.json"
        accounts_file.write_text(json.dumps(accounts))
        clients = [
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uris": redirect_uris,
            }
        ]
        env = {
            **os.environ,
            "OIDC_TEST_CLIENTS": json.dumps(clients),
            "OIDC_TEST_ACCOUNTS": str(accounts_file),
        }
        process = subprocess.Popen(
            [node, str(HERE / "provider.mjs")],
            cwd=HERE,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            issuer = _read_issuer(process)
            yield OIDCTestProvider(issuer, client_id, client_secret, accounts_file)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
