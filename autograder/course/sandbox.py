"""Where student code runs at grading: a bubblewrap sandbox, with caps.

Inside a sandbox a program sees a read-only system (``/usr``), the Python
interpreter, a site folder with numpy, ipykernel and matplotlib (built by
``make env`` into ``.venv/sandbox-site``), the driver package alone
(``/opt/course/lib/autograder/driver``) and a private writable scratch
folder. It does not see the course (``exercises/``, ``solutions/``,
``autograder/``, ``course/``), other submissions, the home folders or the
grader's environment variables, and it has no network: only a loopback of
its own.

Caps (:class:`Limits`): address space per process, number of processes
and threads, size of every file it writes (the scratch folder is a tmpfs of
fixed size), CPU time; wall-clock limits are kept by the grader, which
kills the sandbox. Every process a sandbox starts lives in its own PID
namespace and dies with it, ``setsid`` or not. When the grader runs as
root, each sandbox runs as a user id of its own (61000 + slot), so that the
process cap counts that sandbox only and no file of the machine that is
readable to its owner alone can be read; where a writable cgroup hierarchy
exists, the sandbox also gets a memory and process limit for all its
processes together.

:func:`probe` says in one line why sandboxes cannot run here, if they
cannot; grading then refuses unless the instructor asks for
``--no-sandbox`` (:class:`Sandbox` with ``isolated=False``: the same
programs as plain processes with the same rlimits, which student code can
step out of).
"""
from __future__ import annotations

import fcntl
import functools
import os
import pathlib
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import autograder.driver as driver_package

BWRAP = shutil.which("bwrap") or "/usr/bin/bwrap"
SETPRIV = shutil.which("setpriv") or "/usr/bin/setpriv"
INSIDE = pathlib.PurePosixPath("/opt/course")
SCRATCH = "/scratch"
FIRST_UID = 61000
SLOTS = 256


@dataclass(frozen=True)
class Limits:
    """What one sandbox may use. Times are wall-clock seconds."""
    memory_mb: int = 2048          # address space of each process
    processes: int = 96            # processes and threads of one sandbox
    file_mb: int = 64              # largest file it may write
    scratch_mb: int = 256          # its private writable folder (tmpfs)
    cell_seconds: float = 60.0     # one cell of the notebook
    part_seconds: float = 120.0    # the hidden cases of one graded part
    submission_seconds: float = 900.0  # all the student code of one submission
    output_bytes: int = 2 << 20    # what one notebook's outputs may keep, in all

    def describe(self) -> str:
        return (f"{self.memory_mb} MiB per process, {self.processes} processes, "
                f"{self.cell_seconds:g} s per cell, {self.part_seconds:g} s per part, "
                f"{self.submission_seconds:g} s per submission")


class SandboxUnavailable(RuntimeError):
    """Sandboxes cannot run on this machine; the message says why in a line."""


# ---------------------------------------------------------------- runtime

@dataclass(frozen=True)
class Runtime:
    """The files a sandbox needs, as paths outside and inside it."""
    python: str          # the base interpreter (not the venv's wrapper)
    prefix: str          # its installation, bound read-only at the same path
    site: pathlib.Path   # numpy, ipykernel, nbclient, matplotlib
    lib: pathlib.Path    # a copy of the driver package, alone

    def inside_path(self, isolated: bool) -> list[str]:
        if isolated:
            return [str(INSIDE / "lib"), str(INSIDE / "site")]
        return [str(self.lib), str(self.site)]


def sandbox_site() -> pathlib.Path:
    """Where ``make env`` installs the sandbox's packages."""
    return pathlib.Path(os.environ.get("COURSE_SANDBOX_SITE",
                                       pathlib.Path(sys.prefix) / "sandbox-site"))


@functools.lru_cache(maxsize=None)
def runtime() -> Runtime:
    """Prepare (once per process) the driver copy and find the site."""
    site = sandbox_site()
    if not (site / "numpy").is_dir() or not (site / "ipykernel").is_dir():
        raise SandboxUnavailable(
            f"the sandbox's packages are missing at {site}: run `make env`")
    lib = pathlib.Path(tempfile.mkdtemp(prefix="course-driver-"))
    os.chmod(lib, 0o755)
    package = lib / "autograder"
    package.mkdir()
    (package / "__init__.py").write_text(
        '"""Only the driver of the autograder is present in a sandbox."""\n')
    shutil.copytree(pathlib.Path(driver_package.__file__).parent, package / "driver",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for path in lib.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    python = getattr(sys, "_base_executable", None) or sys.executable
    return Runtime(python=os.path.realpath(python), prefix=sys.base_prefix,
                   site=site, lib=lib)


# ---------------------------------------------------------------- sandbox

class Sandbox:
    """Starts programs inside sandboxes (or, not isolated, as plain
    processes) with the caps of ``limits``."""

    def __init__(self, limits: Limits = Limits(), *, isolated: bool = True):
        self.limits = limits
        self.isolated = isolated
        self.runtime = runtime()
        if isolated:
            reason = probe()
            if reason:
                raise SandboxUnavailable(reason)

    def python(self, code: str, *args: str, env: dict[str, str] | None = None,
               pass_fds: tuple[int, ...] = (), isolate_python: bool = True) -> "Process":
        """Start ``python -c code args`` in a new sandbox."""
        rt = self.runtime
        path = rt.inside_path(self.isolated)
        boot = f"import sys; sys.path[:0] = {path!r}\n{code}"
        argv = [rt.python, *(["-I"] if isolate_python else []), "-c", boot, *args]
        variables = self._environment(env or {})
        if not isolate_python:
            variables["PYTHONPATH"] = os.pathsep.join(path)
        return self._start(argv, variables, pass_fds)

    def _environment(self, extra: dict[str, str]) -> dict[str, str]:
        home = SCRATCH if self.isolated else None
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
               "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", "JUPYTER_PLATFORM_DIRS": "1"}
        if home:
            env.update(HOME=home, TMPDIR="/tmp")
        env.update(extra)
        return env

    def _start(self, argv: list[str], env: dict[str, str],
               pass_fds: tuple[int, ...]) -> "Process":
        slot = _Slot.take() if self.isolated and os.geteuid() == 0 else None
        scratch = None
        if self.isolated:
            command = self._bwrap(argv, env, slot)
            run_env = {}
        else:
            scratch = tempfile.mkdtemp(prefix="course-scratch-")
            env = dict(env, HOME=scratch, TMPDIR=scratch)
            command, run_env = argv, env
        groups = _CGroups.make(slot, self.limits) if slot is not None else None
        limits = self.limits

        def before_exec():  # in the child, before exec: caps inherited by all
            os.setsid()
            if groups:
                groups.enter(os.getpid())
            _set_rlimits(limits, count_processes=self.isolated and slot is None)

        popen = subprocess.Popen(command, env=run_env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 pass_fds=pass_fds, preexec_fn=before_exec,
                                 cwd=scratch or "/")
        return Process(popen, slot=slot, groups=groups, scratch=scratch)

    def _bwrap(self, argv: list[str], env: dict[str, str], slot: "_Slot | None") -> list[str]:
        rt, lim = self.runtime, self.limits
        cmd = [BWRAP, "--die-with-parent", "--new-session",
               "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
               "--unshare-cgroup-try", "--hostname", "sandbox"]
        if slot is None:
            cmd.append("--unshare-user")
        cmd += ["--ro-bind", "/usr", "/usr"]
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            if os.path.islink(top):
                cmd += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                cmd += ["--ro-bind", top, top]
        if not rt.prefix.startswith("/usr/"):
            for parent in reversed(pathlib.PurePosixPath(rt.prefix).parents[:-1]):
                cmd += ["--perms", "0755", "--dir", str(parent)]
            cmd += ["--ro-bind", rt.prefix, rt.prefix]
            site_packages = pathlib.Path(rt.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
            if site_packages.is_dir():  # packages of the base install: hidden
                cmd += ["--tmpfs", str(site_packages)]
        cmd += ["--perms", "0755", "--dir", str(INSIDE.parent),
                "--perms", "0755", "--dir", str(INSIDE),
                "--ro-bind", str(rt.site), str(INSIDE / "site"),
                "--ro-bind", str(rt.lib), str(INSIDE / "lib"),
                "--proc", "/proc", "--dev", "/dev",
                "--size", str(16 << 20), "--perms", "1777", "--tmpfs", "/tmp",
                "--size", str(lim.scratch_mb << 20), "--perms", "0777", "--tmpfs", SCRATCH,
                "--chdir", SCRATCH, "--clearenv"]
        for k, v in env.items():
            cmd += ["--setenv", k, v]
        if slot is not None:  # privileged bwrap hands over to the slot's user
            cmd += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                    SETPRIV, f"--reuid={slot.uid}", f"--regid={slot.uid}",
                    "--clear-groups", "--inh-caps=-all"]
        else:
            cmd.append("--")
        return cmd + argv


def _set_rlimits(limits: Limits, *, count_processes: bool) -> None:
    mb = 1 << 20
    caps = {resource.RLIMIT_AS: limits.memory_mb * mb,
            resource.RLIMIT_FSIZE: limits.file_mb * mb,
            resource.RLIMIT_CORE: 0,
            resource.RLIMIT_CPU: int(limits.submission_seconds) + 60,
            resource.RLIMIT_NOFILE: 1024}
    if count_processes:
        # the grader's own user: the cap counts its other processes too
        caps[resource.RLIMIT_NPROC] = limits.processes + _user_processes()
    elif os.geteuid() == 0:
        caps[resource.RLIMIT_NPROC] = limits.processes
    for kind, value in caps.items():
        soft, hard = resource.getrlimit(kind)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (value, value if hard == resource.RLIM_INFINITY else hard))


def _user_processes() -> int:
    uid, count = os.getuid(), 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                pass
    return count


@dataclass
class Process:
    """A started sandbox: its bubblewrap (or plain) process and what it holds."""
    popen: subprocess.Popen
    slot: "_Slot | None" = None
    groups: "_CGroups | None" = None
    scratch: str | None = None
    ended: bool = field(default=False)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """End the sandbox and everything it started; release what it held."""
        if self.ended:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        if self.slot is not None:
            self.slot.clear()
        if self.groups:
            self.groups.remove()
        if self.slot is not None:
            self.slot.release()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
        self.ended = True


# ---------------------------------------------------------------- slots

class _Slot:
    """A user id for one sandbox at a time, held with a lock file."""
    folder = pathlib.Path(tempfile.gettempdir()) / "course-sandbox-slots"

    def __init__(self, index: int, handle):
        self.index, self.uid, self._handle = index, FIRST_UID + index, handle

    @classmethod
    def take(cls) -> "_Slot":
        cls.folder.mkdir(mode=0o700, exist_ok=True)
        for _ in range(600):
            for index in range(SLOTS):
                handle = open(cls.folder / f"{index}.lock", "w")
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.close()
                    continue
                slot = cls(index, handle)
                slot.clear()  # whatever an earlier holder left behind
                return slot
            time.sleep(0.1)
        raise SandboxUnavailable(f"all {SLOTS} sandbox slots are busy")

    def clear(self) -> None:
        """Kill every process still running as this slot's user."""
        for _ in range(20):
            pids = processes_of(self.uid)
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.05)

    def release(self) -> None:
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()


def processes_of(uid: int) -> list[int]:
    """PIDs of the processes whose real user id is ``uid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            found.append(int(entry))
                        break
        except OSError:
            continue
    return found


def leftovers() -> list[int]:
    """PIDs of processes still running as the user of a slot that no
    sandbox holds: what a sandbox left behind (none, if all is well).
    Slots in use by sandboxes running now are not looked at."""
    found = []
    if not _Slot.folder.is_dir():
        return found
    for index in range(SLOTS):
        path = _Slot.folder / f"{index}.lock"
        if not path.exists():
            continue
        with open(path, "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a sandbox is using this slot
            try:
                found += processes_of(FIRST_UID + index)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    return found


# ---------------------------------------------------------------- cgroups

class _CGroups:
    """Memory and process limits for all the processes of one sandbox,
    where this machine has a cgroup hierarchy the grader can write to."""

    def __init__(self, paths: list[pathlib.Path]):
        self.paths = paths

    @classmethod
    def make(cls, slot: "_Slot", limits: Limits) -> "_CGroups | None":
        name = f"course-sandbox-{slot.index}"
        paths = []
        for controller, settings in (
                ("pids", {"pids.max": str(limits.processes)}),
                ("memory", {"memory.limit_in_bytes": str(2 * limits.memory_mb << 20)})):
            base = _own_cgroup(controller)
            if base is None:
                continue
            path = base / name
            try:
                if path.exists():
                    _empty(path)
                    path.rmdir()
                path.mkdir()
                for key, value in settings.items():
                    (path / key).write_text(value)
            except OSError:
                continue
            paths.append(path)
        return cls(paths) if paths else None

    def enter(self, pid: int) -> None:
        for path in self.paths:
            try:
                (path / "cgroup.procs").write_text(str(pid))
            except OSError:
                pass

    def remove(self) -> None:
        for path in self.paths:
            _empty(path)
            try:
                path.rmdir()
            except OSError:
                pass


def _own_cgroup(controller: str) -> pathlib.Path | None:
    """The folder of this process's own cgroup for a v1 controller."""
    root = pathlib.Path("/sys/fs/cgroup") / controller
    if not root.is_dir():
        return None
    try:
        lines = pathlib.Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            folder = root / path.lstrip("/")
            return folder if os.access(folder, os.W_OK) else None
    return None


def _empty(path: pathlib.Path) -> None:
    for _ in range(20):
        try:
            pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
        except OSError:
            return
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


# ---------------------------------------------------------------- probe

@functools.lru_cache(maxsize=None)
def probe() -> str | None:
    """None when sandboxes run here; else a one-line reason."""
    if not os.path.exists(BWRAP):
        return ("bubblewrap (bwrap) is not installed: `make env` installs it "
                "(Debian package bubblewrap)")
    try:
        sandbox = Sandbox.__new__(Sandbox)
        sandbox.limits, sandbox.isolated, sandbox.runtime = Limits(), True, runtime()
        process = sandbox.python("import numpy, socket\n"
                                 "s = socket.socket(); s.settimeout(1)\n"
                                 "try:\n    s.connect(('1.1.1.1', 53))\nexcept OSError:\n"
                                 "    raise SystemExit(0)\nraise SystemExit(3)")
    except SandboxUnavailable as err:
        return str(err)
    code = process.popen.wait(timeout=60)
    process.kill()
    if code == 3:
        return "bubblewrap ran, but its sandbox could reach the network"
    if code != 0:
        detail = _bwrap_error()
        return f"bubblewrap cannot start a sandbox here ({detail})"
    return None


def _bwrap_error() -> str:
    done = subprocess.run([BWRAP, "--unshare-all", "--ro-bind", "/", "/", "true"],
                          capture_output=True, text=True, timeout=30)
    return (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[0]
