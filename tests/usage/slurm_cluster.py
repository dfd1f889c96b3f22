"""A real, private Slurm cluster for the usage tests: Debian's slurm-wlm and slurmdbd with
MariaDB (on 127.0.0.1:3306, root, a database of its own) and munge, one local node declaring
four GPUs as GRES (symlinks to /dev/null), all under a temporary directory with their own ports
and sockets, started in order and polled until each answers, stopped by their pid files.

`why_not()` says why it cannot run here (not root, Slurm or MariaDB missing), or None."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CLUSTER = "aiftest"
BINARIES = ("munged", "slurmdbd", "slurmctld", "slurmd", "sacctmgr", "sbatch", "sacct", "sinfo")
MUNGE_KEY = Path("/etc/munge/munge.key")


def why_not() -> str | None:
    if os.geteuid() != 0:
        return "the Slurm daemons of the test run as root (.ci/run runs as root)"
    missing = [name for name in BINARIES if shutil.which(name) is None]
    if missing:
        return (
            f"Slurm is not installed ({', '.join(missing)} missing; "
            ".ci/run installs slurm-wlm slurmdbd munge)"
        )
    if not MUNGE_KEY.exists():
        return f"munge has no key ({MUNGE_KEY})"
    probe = subprocess.run(
        ["mysql", "-h", "127.0.0.1", "-u", "root", "-e", "SELECT 1"], capture_output=True
    ) if shutil.which("mysql") else None  # fmt: skip
    if probe is None or probe.returncode != 0:
        return "MariaDB does not answer on 127.0.0.1:3306 as root"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    root: Path
    env: dict[str, str]
    started_in: float = 0.0

    def run(self, *command: str, check: bool = True) -> str:
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)}: {done.returncode}\n{done.stdout}{done.stderr}"
            )
        return done.stdout

    def wait_for(self, what: str, test, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if test():
                    return
            except (AssertionError, subprocess.TimeoutExpired):
                pass
            time.sleep(0.2)
        logs = "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
            for p in self.root.glob("*.log")
        )
        raise AssertionError(f"Slurm: {what} did not happen in {timeout:.0f} s\n{logs}")

    def sbatch(self, account: str, gpus: int, seconds: int) -> str:
        out = self.run(
            "sbatch", "--parsable", "-A", account, f"--gres=gpu:{gpus}", "-t", "5", "-N", "1",
            "-o", str(self.root / "job-%j.out"), "--wrap", f"sleep {seconds}",
        )  # fmt: skip
        return out.strip().split(";")[0]

    def wait_jobs_done(self, job_ids: list[str]) -> None:
        def done() -> bool:
            out = self.run("sacct", "-n", "-P", "-X", "-j", ",".join(job_ids), "--format=State")
            states = out.split()
            return len(states) == len(job_ids) and all(s == "COMPLETED" for s in states)

        self.wait_for(f"jobs {job_ids} completed and accounted", done, timeout=90)

    def sacct(self, account: str, job_ids: list[str], fields: str) -> str:
        """`sacct --parsable2` of the account's jobs (steps included), once it lists every one of
        `job_ids` as finished."""
        found: dict[str, str] = {}

        def listed() -> bool:
            found["out"] = self.run(
                "sacct", "--parsable2", "-a", "-A", account, "-S", "now-2hours", fields
            )
            lines = {line.split("|", 1)[0] for line in found["out"].splitlines()}
            return set(job_ids) <= lines

        self.wait_for(f"jobs {job_ids} listed under {account}", listed, timeout=60)
        return found["out"]


def _write_configs(root: Path, db: str) -> dict[str, str]:
    host = socket.gethostname().split(".")[0]
    ports = {name: _free_port() for name in ("dbd", "ctld", "d")}
    munge_socket = root / "munge.sock"
    devices = root / "dev"
    devices.mkdir()
    for n in range(4):
        (devices / f"gpu{n}").symlink_to("/dev/null")
    for sub in ("state", "spool"):
        (root / sub).mkdir()
    (root / "slurm.conf").write_text(f"""\
ClusterName={CLUSTER}
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ports["ctld"]}
SlurmdPort={ports["d"]}
AuthType=auth/munge
AuthInfo=socket={munge_socket}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
PriorityType=priority/multifactor
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort={ports["dbd"]}
AccountingStoragePass={munge_socket}
AccountingStorageTRES=gres/gpu
AccountingStorageEnforce=associations,limits,safe
GresTypes=gpu
MinJobAge=30
KillWait=2
NodeName={host} NodeAddr=127.0.0.1 CPUs=2 Gres=gpu:4 State=UNKNOWN
PartitionName=gpu Nodes=ALL Default=YES MaxTime=INFINITE DefaultTime=5 State=UP
""")
    (root / "gres.conf").write_text(f"AutoDetect=off\nName=gpu File={devices}/gpu[0-3]\n")
    dbd = root / "slurmdbd.conf"
    dbd.write_text(f"""\
AuthType=auth/munge
AuthInfo=socket={munge_socket}
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort={ports["dbd"]}
SlurmUser=root
PidFile={root}/slurmdbd.pid
LogFile={root}/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=3306
StorageUser=root
StorageLoc={db}
""")
    dbd.chmod(0o600)
    return {**os.environ, "SLURM_CONF": str(root / "slurm.conf")}


def _stop(root: Path) -> None:
    for name in ("slurmd", "slurmctld", "slurmdbd", "munged"):
        pid_file = root / f"{name}.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
        try:
            os.kill(pid, signal.SIGTERM)
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.1)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@contextmanager
def slurm_cluster(root: Path) -> Iterator[Cluster]:
    """The daemons started in order, each polled until it answers; stopped at the end, and
    the accounting database dropped."""
    began = time.monotonic()
    db = f"slurm_acct_test_{os.getpid()}"
    mysql = ["mysql", "-h", "127.0.0.1", "-u", "root", "-e"]
    subprocess.run([*mysql, f"CREATE DATABASE IF NOT EXISTS {db}"], check=True)
    env = _write_configs(root, db)
    cluster = Cluster(root=root, env=env)
    try:
        subprocess.run(
            ["munged", "--force", f"--socket={root}/munge.sock", f"--pid-file={root}/munged.pid",
             f"--log-file={root}/munged.log", f"--seed-file={root}/munge.seed",
             f"--key-file={MUNGE_KEY}"],
            check=True, env=env, capture_output=True,
        )  # fmt: skip
        cluster.run("slurmdbd")
        cluster.wait_for(
            "slurmdbd answering",
            lambda: cluster.run("sacctmgr", "-n", "show", "cluster") is not None,
        )
        cluster.run("sacctmgr", "-i", "add", "cluster", CLUSTER)
        cluster.run("slurmctld")
        cluster.run("slurmd")
        cluster.wait_for(
            "the node idle",
            lambda: cluster.run("sinfo", "-h", "-N", "-o", "%t").split() == ["idle"],
        )
        # The gres/gpu TRES exists once slurmctld has registered with slurmdbd.
        cluster.wait_for(
            "the gres/gpu TRES registered",
            lambda: (
                "gres|gpu"
                in cluster.run(
                    "sacctmgr", "-n", "-P", "show", "tres", "format=Type,Name", "type=gres"
                )
            ),
        )
        cluster.started_in = time.monotonic() - began
        yield cluster
    finally:
        _stop(root)
        subprocess.run([*mysql, f"DROP DATABASE IF EXISTS {db}"], check=False)
