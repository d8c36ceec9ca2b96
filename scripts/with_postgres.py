"""Run a command against a throwaway PostgreSQL cluster, then remove the cluster.

    python3 scripts/with_postgres.py -- pytest ...
    python3 scripts/with_postgres.py --keep var/bench-pg -- python bench/over_http.py


initdb in a temporary directory, a server on 127.0.0.1 at a free port, a database `clinic`
owned by the superuser `clinic_owner`; the command gets DATABASE_URL. Standard library only,
so it runs before the project's environment exists. When PostgreSQL is unavailable the run is
skipped with a message, except under CI=true, where that is a failure.
"""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

IN_CI = os.getenv("CI", "").lower() == "true"


def say(message: str) -> None:
    print(f"with_postgres: {message}", file=sys.stderr, flush=True)


def find_bindir() -> Path | None:
    if os.getenv("WITH_POSTGRES_BINDIR"):
        return Path(os.environ["WITH_POSTGRES_BINDIR"])
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(candidates[-1]).parent if candidates else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Unavailable(Exception):
    pass


def main(argv: list[str]) -> int:
    if "--" not in argv:
        say("usage: with_postgres.py -- command [args...]")
        return 2
    command = argv[argv.index("--") + 1 :]
    # --keep DIR: the cluster lives in DIR and outlives the run (benchmarks build their data
    # once); it is created on first use and started again afterwards.
    keep = (
        Path(argv[argv.index("--keep") + 1]).resolve()
        if "--keep" in argv[: argv.index("--")]
        else None
    )
    bindir = find_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        return unavailable(f"no PostgreSQL server binaries found (looked at {bindir})")

    # PostgreSQL refuses to run as root: run the server as the `postgres` user then.
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            return unavailable("running as root and there is no `postgres` user to run the server")
        as_user = ["runuser", "-u", "postgres", "--"]

    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        workdir = keep
    else:
        workdir = Path(tempfile.mkdtemp(prefix="clinic-pg-"))
    existing = keep is not None and (workdir / "data" / "PG_VERSION").exists()
    os.chmod(workdir, 0o755)
    if owner is not None:
        os.chown(workdir, owner.pw_uid, owner.pw_gid)
    data, log = workdir / "data", workdir / "server.log"
    port = free_port()

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*as_user, *args], check=check, capture_output=True, text=True)

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    started = False
    try:
        try:
            initdb = [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "clinic_owner",
                "--auth=trust",
                "--encoding=UTF8",
            ]
            if existing:
                pass
            elif run(*initdb, "--locale=C.UTF-8", check=False).returncode != 0:
                shutil.rmtree(data, ignore_errors=True)
                run(*initdb, "--locale=C")
            options = (
                f"-c listen_addresses=127.0.0.1 -p {port} -k {workdir} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
            )
            run(
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            )
            started = True
            run(
                str(bindir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "clinic_owner",
                "clinic",
                check=not existing,
            )
        except (subprocess.CalledProcessError, OSError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            tail = log.read_text()[-2000:] if log.exists() else ""
            return unavailable(f"could not start PostgreSQL: {detail.strip()}\n{tail}")
        say(f"PostgreSQL {bindir.parent.name} on 127.0.0.1:{port}")
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://clinic_owner@127.0.0.1:{port}/clinic",
            "WITH_POSTGRES_BINDIR": str(bindir),
        }
        return subprocess.run(command, env=env).returncode
    except KeyboardInterrupt:
        return 130
    finally:
        if started:
            mode = "fast" if keep is not None else "immediate"
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", mode, "stop", check=False)
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def unavailable(reason: str) -> int:
    say(reason)
    if IN_CI:
        say("CI=true: PostgreSQL must be available; failing")
        return 1
    say("PostgreSQL unavailable: skipping the PostgreSQL run")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
