"""The product as it is deployed: a fresh copy of the repository, started with `make run` as the
README says (runserver, a Celery worker and beat, on PostgreSQL and Redis), driven in Chromium.

One test, in the order an operator would live it:
1. the three journeys end to end: an applicant signs up, verifies the address (the link from the
   email file under var/mail/), describes the organisation, applies and submits; the reviewer
   (with MFA) accepts and reviews; the approver approves fewer GPU-hours than asked; the
   applicant sees the decision and opens the letter, addressed by name;
2. an admin edits a factory's description and a system's capacity, the whole process tree is
   restarted (`make run` again, which loads the reference data again), and both edits are still
   shown;
3. the worker is stopped (/healthz names it), an application is submitted and its message lost,
   a worker is started, and beat's sweep routes the application exactly once.

Runs only where PostgreSQL, Redis and chromium are present (as in `.ci/run`); skipped, with the
reason, elsewhere. It does not touch the test database: the copy gets a database of its own,
dropped at the end, and two Redis databases of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from tests.conftest import CHROMIUM

pytestmark = [pytest.mark.deployed, pytest.mark.browser, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "demo-portal-2026"
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
APPLICANT = "nora@example.org"
APPLICANT_PASSWORD = "correct-horse-battery-42"
REDIS_DBS = (12, 13)  # broker, cache: the copy's own


def _why_not() -> str | None:
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        return "DATABASE_URL is not PostgreSQL: the deployed product runs on PostgreSQL"
    if not settings.CELERY_BROKER_URL:
        return "CELERY_BROKER_URL is not set: the deployed product runs a worker and beat on Redis"
    if not CHROMIUM:
        return "chromium is not installed (apt-get install chromium)"
    if shutil.which("make") is None or shutil.which("git") is None:
        return "make and git are needed to start the product as the README does"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fresh_copy(target: Path) -> None:
    """The repository's files (tracked, and untracked but not ignored), as a clone would have
    them, with the checkout's virtual environment (installing one again would take minutes)."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, check=True, capture_output=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)  # keeps mtimes: make sees the venv up to date
    (target / ".venv").symlink_to(REPO / ".venv")
    assert not (target / "var").exists(), "a fresh copy has no var/"


def _redis_url(db: int) -> str:
    parts = urlsplit(settings.CELERY_BROKER_URL)
    return f"{parts.scheme}://{parts.netloc}/{db}"


def _parent(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    return 0


def totp_code(secret: str) -> str:
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))


class Deployment:
    """`make run` in a fresh copy, as a process group that can be stopped and started again."""

    def __init__(self, root: Path, port: int, database: str) -> None:
        self.root = root
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.database = database
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYTEST", "DJANGO_", "DATABASE_", "CELERY_", "CACHE_"))
        }
        self.env.update(
            DATABASE_URL=database,
            CELERY_BROKER_URL=_redis_url(REDIS_DBS[0]),
            CACHE_URL=_redis_url(REDIS_DBS[1]),
            HEARTBEAT_SECONDS="5",  # /healthz names a silent worker after 10 s
            SWEEP_GRACE_SECONDS="3",
            PYTHONUNBUFFERED="1",
        )
        self.process: subprocess.Popen | None = None
        self.extra: list[subprocess.Popen] = []
        self.log = root / "deployment.log"
        self.starts = 0

    def start(self) -> float:
        """`make run`; returns the seconds until /healthz answered 200 (web, worker, beat up)."""
        started = time.monotonic()
        self.starts += 1
        with self.log.open("a") as log:
            log.write(f"\n===== start {self.starts} =====\n")
            log.flush()
            self.process = subprocess.Popen(
                ["make", "run", f"PORT={self.port}"], cwd=self.root, env=self.env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.wait_for(lambda: self.health()[0] == 200, what="a healthy portal", timeout=240)
        return time.monotonic() - started

    def stop(self) -> None:
        for process in [self.process, *self.extra]:
            if process is None or process.poll() is not None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        # What make started in the group and may outlive it (runserver's reloaded child).
        for process in [self.process, *self.extra]:
            if process is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
        self.extra = []

    def start_worker(self) -> None:
        """A worker alone, with the Makefile's command line."""
        with self.log.open("a") as log:
            command = [".venv/bin/celery", "-A", "portal", "worker", "--loglevel=INFO"]
            worker = subprocess.Popen(
                [*command, "--concurrency=2"], cwd=self.root, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            self.extra.append(worker)

    def stop_worker(self) -> None:
        """SIGTERM to the worker that `make run` started (a warm shutdown), and wait for it."""
        pids = self._pids("celery -A portal worker")
        assert pids, "no worker is running"
        # The main process: the one whose parent is not a worker too (its pool's children are).
        mains = [pid for pid in pids if _parent(pid) not in pids]
        for pid in mains:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        self.wait_for(lambda: not self._pids("celery -A portal worker"), what="the worker's end")

    def _pids(self, needle: str) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                args = (entry / "cmdline").read_bytes().decode().split("\0")
                cwd = os.readlink(entry / "cwd")
            except OSError:
                continue
            # The program itself (python …/celery …), not the shell of `make run` whose
            # script names it.
            program = any(arg.endswith("/celery") for arg in args[:2])
            if program and needle in " ".join(args) and cwd == str(self.root):
                found.append(int(entry.name))
        return found

    def health(self) -> tuple[int, dict]:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(self.base + "/healthz", timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            try:
                return exc.code, json.loads(exc.read())
            except ValueError:
                return exc.code, {}
        except (urllib.error.URLError, OSError):
            return 0, {}

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [".venv/bin/python", "manage.py", *args], cwd=self.root, env=self.env,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout

    def query(self, code: str) -> object:
        """Evaluate `code` in the deployment's Django (its own database): JSON back."""
        out = self.manage("shell", "-c", f"import json; print(json.dumps({code}))")
        return json.loads(out.strip().splitlines()[-1])

    def mail_files(self) -> list[Path]:
        folder = self.root / "var" / "mail"
        return sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime) if folder.exists() else []

    def wait_for(self, predicate: Callable[[], bool], *, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"make run exited ({self.process.returncode}):\n{self.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}.\n"
                                     f"{self.tail()}")  # fmt: skip
            time.sleep(0.5)

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-60:])


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    reason = _why_not()
    if reason and os.environ.get("PORTAL_REQUIRE_DEPLOYED_TEST"):
        pytest.fail(f"PORTAL_REQUIRE_DEPLOYED_TEST is set (.ci/run), but {reason}")
    if reason:
        pytest.skip(reason)
    import redis

    root = tmp_path_factory.mktemp("deployed") / "portal"
    root.mkdir()
    _fresh_copy(root)
    db = settings.DATABASES["default"]
    name = f"portal_deployed_{uuid.uuid4().hex[:8]}"
    user = db.get("USER") or "postgres"
    url = f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"
    for number in REDIS_DBS:
        redis.Redis.from_url(_redis_url(number)).flushdb()
    deployed = Deployment(root, _free_port(), url)
    try:
        yield deployed
    finally:
        deployed.stop()
        for number in REDIS_DBS:
            redis.Redis.from_url(_redis_url(number)).flushdb()
        subprocess.run(
            ["dropdb", "--if-exists", "--force", "-h", db.get("HOST") or "127.0.0.1",
             "-p", str(db.get("PORT") or 5432), "-U", user, name],
            check=False, capture_output=True,
        )  # fmt: skip


# --- The journeys ---------------------------------------------------------------------------


def sign_in(page: Page, base: str, email: str, password: str, *, totp: bool) -> None:
    page.goto(base + "/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(password)
    page.get_by_role("button", name="Sign In").click()
    if totp:
        expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
        page.locator('input[name="code"]').fill(totp_code(DEMO_TOTP_SECRET))
        page.get_by_role("button", name="Sign In").click()


def sign_up_and_verify(page: Page, deployed: Deployment) -> None:
    base = deployed.base
    page.goto(base + "/accounts/signup/")
    page.locator('input[name="first_name"]').fill("Nora")
    page.locator('input[name="last_name"]').fill("Neural")
    page.locator('input[name="email"]').fill(APPLICANT)
    page.locator('input[name="password1"]').fill(APPLICANT_PASSWORD)
    page.locator('input[name="password2"]').fill(APPLICANT_PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify Your Email Address")

    link = None
    for path in deployed.mail_files():
        found = re.search(r"https?://\S+/accounts/confirm-email/\S+", path.read_text())
        if found and APPLICANT in path.read_text():
            link = found.group(0)
    assert link, f"no verification email under var/mail/: {deployed.mail_files()}"
    assert link.startswith(base + "/"), f"the email links to {link}, not to {base}"
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(base + "/applications/")  # an applicant lands on their applications


def create_organisation(page: Page) -> None:
    page.get_by_role("link", name="describe your organisation").click()
    page.get_by_label("Legal name").fill("Nora Neural GmbH")
    page.get_by_label("Country").select_option(label="Germany")
    page.get_by_label("Type").select_option(label="Startup")
    page.get_by_label("VAT or company registration number").fill("DE123456704")
    page.get_by_label("I declare that this organisation is an SME").check()
    page.get_by_role("button", name="Save organisation").click()
    expect(page.get_by_text("Nora Neural GmbH was created; you represent it.")).to_be_visible()


def apply(page: Page, *, title: str, gpu_hours: int) -> int:
    """A new Fast Lane application on LUMI, filled in step by step and submitted; its pk."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My applications").click()
    page.get_by_role("button", name="New application").click()
    next_step = page.get_by_role("button", name="Next")
    page.get_by_label("Organisation").select_option(label="Nora Neural GmbH")
    page.get_by_label("Fast Lane").check()
    next_step.click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Abstract").fill("We fine-tune a vision model on factory images.")
    page.get_by_label("AI domain").select_option(label="Manufacturing")
    page.get_by_label("Workload").select_option(label="Fine-tuning")
    page.get_by_label("Name (member 1)").fill("Nora Neural")
    page.get_by_label("Email (member 1)").fill(APPLICANT)
    next_step.click()
    page.get_by_label("LUMI (LUMI AIF, Kajaani) · Operational").check()
    page.get_by_label("GPU-hours").fill(str(gpu_hours))
    page.get_by_label("Start date").fill((timezone.localdate() + timedelta(days=10)).isoformat())
    page.get_by_label("Duration (months)").select_option(label="2 months")
    next_step.click()
    page.get_by_label("Data sources").fill("Our own labelled images")
    page.get_by_label("No", exact=True).check()
    page.get_by_label("EU AI Act risk (self-assessment)").select_option(label="Minimal risk")
    next_step.click()
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_text("Your application was submitted.")).to_be_visible()
    return int(re.search(r"/applications/(\d+)/", page.url).group(1))


def wait_for_status(page: Page, deployed: Deployment, url: str, status: str) -> None:
    def shows() -> bool:
        page.goto(url)
        return page.locator(".lead .badge").inner_text().strip() == status

    deployed.wait_for(shows, what=f"{url} to show {status}", timeout=60)


def review(browser: Browser, deployed: Deployment, application_id: int) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, deployed.base, "reviewer@lumi.example.org", DEMO_PASSWORD, totp=True)
    expect(page).to_have_url(deployed.base + "/review/")  # a reviewer lands on the desk
    page.get_by_role("link", name="Small vision model for quality control").click()
    page.get_by_role("button", name="Accept the assignment").click()
    for criterion in ("technical_feasibility", "ai_innovation", "team_readiness",
                      "resource_justification"):  # fmt: skip
        page.locator(f'[name="{criterion}"]').fill("4")
        page.locator(f'[name="{criterion}_note"]').fill("Sound and well argued.")
    page.locator('[name="comment_for_applicant"]').fill("A clear plan; fewer hours will do.")
    page.locator('[name="recommendation"]').select_option("approve_fewer")
    page.locator('[name="recommended_gpu_hours"]').fill("800")
    page.get_by_role("button", name="Submit the review").click()
    expect(page.get_by_text("Your review was recorded.")).to_be_visible()
    context.close()


def decide(browser: Browser, deployed: Deployment, application_id: int) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, deployed.base, "approver@lumi.example.org", DEMO_PASSWORD, totp=True)
    expect(page).to_have_url(deployed.base + "/review/site/")  # an approver: the site's list
    page.get_by_role("link", name="Small vision model for quality control").click()
    page.get_by_label("Approved", exact=True).check()
    page.get_by_label("GPU-hours awarded (when approving)").fill("800")
    page.get_by_label("Reasons").fill("Approved with the reviewer's estimate.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("The decision was recorded")).to_be_visible()
    context.close()


def admin_edits(browser: Browser, deployed: Deployment) -> Page:
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, deployed.base, "admin@example.org", DEMO_PASSWORD, totp=True)
    expect(page).to_have_url(deployed.base + "/review/stats/")  # staff: the overview
    factory_id, system_id = deployed.query(
        "[__import__('factories.models').models.AIFactory.objects.get(slug='lumi-aif').pk,"
        " __import__('factories.models').models.System.objects.get(slug='lumi').pk]"
    )
    page.goto(f"{deployed.base}/admin/factories/aifactory/{factory_id}/change/")
    page.locator('[name="description"]').fill("Edited by the centre's admin before a restart.")
    page.locator('[name="_save"]').click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.goto(f"{deployed.base}/admin/factories/system/{system_id}/change/")
    page.locator('[name="allocatable_gpu_hours_per_year"]').fill("1234567")
    page.locator('[name="_save"]').click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    return page


def test_the_deployed_product_works_survives_a_restart_and_recovers_with_beat(
    deployment: Deployment, browser: Browser
):
    deployed = deployment
    timings: dict[str, float] = {}
    began = time.monotonic()
    timings["first start"] = deployed.start()
    assert not (deployed.root / "var" / "celerybeat-schedule").exists()
    status, health = deployed.health()
    assert status == 200 and {"worker", "beat", "job:sweep-unrouted"} <= set(health["checks"])

    # 1. The three journeys.
    mark = time.monotonic()
    applicant = browser.new_context().new_page()
    sign_up_and_verify(applicant, deployed)
    create_organisation(applicant)
    first = apply(applicant, title="Small vision model for quality control", gpu_hours=1000)
    receipt = [p for p in deployed.mail_files() if "Small vision model" in p.read_text()]
    assert receipt, "no receipt of the submission under var/mail/"
    wait_for_status(applicant, deployed, f"{deployed.base}/applications/{first}/", "Under review")
    review(browser, deployed, first)
    decide(browser, deployed, first)
    wait_for_status(applicant, deployed, f"{deployed.base}/applications/{first}/", "Approved")
    applicant.get_by_role("link", name=re.compile("letter", re.I)).first.click()
    letter = applicant.locator("body")
    expect(letter).to_contain_text("Nora Neural")
    expect(letter).to_contain_text("800")
    timings["journeys"] = time.monotonic() - mark

    # 2. Admin edits survive a restart of the whole process tree.
    admin = admin_edits(browser, deployed)
    mark = time.monotonic()
    deployed.stop()
    assert deployed.health()[0] == 0, "the portal still answers after it was stopped"
    timings["restart"] = deployed.start()
    timings["restart (stop included)"] = time.monotonic() - mark
    anonymous = browser.new_context().new_page()
    anonymous.goto(deployed.base + "/factories/lumi-aif/")
    expect(anonymous.locator("main")).to_contain_text(
        "Edited by the centre's admin before a restart."
    )
    admin.goto(deployed.base + "/review/capacity/")
    expect(admin.locator("main")).to_contain_text("1,234,567")
    assert (
        deployed.query(
            "__import__('factories.models').models.System.objects.get(slug='lumi')"
            ".allocatable_gpu_hours_per_year"
        )
        == 1_234_567
    )

    # 3. With the worker stopped, a submission waits; its message is lost; beat's sweep routes
    # it exactly once when a worker is back.
    mark = time.monotonic()
    deployed.manage("shell", "-c", (
        "from django_celery_beat.models import IntervalSchedule, PeriodicTask; "
        "every, _ = IntervalSchedule.objects.get_or_create(every=3, period='seconds'); "
        "PeriodicTask.objects.filter(name='sweep-unrouted').update(interval=every)"
    ))  # fmt: skip
    deployed.stop_worker()
    deployed.wait_for(
        lambda: "worker" in deployed.health()[1].get("failing", []),
        what="/healthz to name the stopped worker", timeout=30,
    )  # fmt: skip
    second = apply(applicant, title="A second model, submitted while no worker runs", gpu_hours=900)
    import redis

    broker = redis.Redis.from_url(_redis_url(REDIS_DBS[0]))
    assert broker.delete("celery") == 1, "the routing message was not waiting in the queue"
    time.sleep(4)  # older than SWEEP_GRACE_SECONDS
    assert (
        deployed.query(
            f"__import__('applications.models').models.Application.objects.get(pk={second}).status"
        )
        == "submitted"
    )
    deployed.start_worker()
    wait_for_status(applicant, deployed, f"{deployed.base}/applications/{second}/", "Under review")
    time.sleep(8)  # more sweeps: none may route it again
    routed = deployed.query(
        "[__import__('reviews.models').models.RoutingRecord.objects"
        f".filter(application_id={second}).count(),"
        " __import__('reviews.models').models.Assignment.objects"
        f".filter(application_id={second}).count()]"
    )
    assert routed == [1, 1], f"routing records, assignments: {routed}"
    deployed.wait_for(lambda: deployed.health()[0] == 200, what="a healthy portal again")
    timings["worker stop and sweep"] = time.monotonic() - mark
    timings["total"] = time.monotonic() - began
    print("\ndeployed product: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
