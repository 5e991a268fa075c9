"""Kernel launcher: join the run's cgroups, set rlimits, then exec the sandbox.

Jupyter starts a kernel by running a command line; this module is that command's first
step, so the limits are in place before a single line of student code exists and every
process the kernel starts inherits them. Usage::

    python -m autograder.execution.launch [--parent PID] [--cgroup-procs FILE]...
        [--rlimit NAME=N]... [--chown FILE]... [--seccomp-file FILE] -- CMD...

``--parent PID`` ties this process to the grader that started it before anything else
happens: it gets SIGKILL when the grader dies (the signal carries over into bwrap, which
arms its own), and if the grader already died while this interpreter was starting (a
batch killed at that instant), it runs nothing. Without that, a grader killed in those
few milliseconds left a sandbox running with nobody to stop it.

``--chown`` hands a file (the kernel's connection file) to the sandbox uid, for a root
grader whose kernel runs as that uid. ``--seccomp-file`` opens a compiled filter and
puts its descriptor's number where ``CMD`` says ``@seccomp-fd`` (bwrap reads it there).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import signal

SANDBOX_UID = 65534  # host.SANDBOX_UID; this module imports nothing of the package to start fast
SECCOMP_FD_PLACEHOLDER = "@seccomp-fd"
PR_SET_PDEATHSIG = 1


def die_with(parent: int) -> None:
    """SIGKILL when ``parent`` dies; exit now if it already has (we were reparented)."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_PDEATHSIG failed")
    if os.getppid() != parent:
        os._exit(1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="autograder-launch")
    parser.add_argument("--parent", type=int, metavar="PID")
    parser.add_argument("--cgroup-procs", action="append", default=[], metavar="FILE")
    parser.add_argument("--rlimit", action="append", default=[], metavar="NAME=N")
    parser.add_argument("--chown", action="append", default=[], metavar="FILE")
    parser.add_argument("--seccomp-file", metavar="FILE")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.parent is not None:
        die_with(args.parent)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to run")
    for procs in args.cgroup_procs:
        with open(procs, "w") as handle:
            handle.write(str(os.getpid()))
    for path in args.chown:  # never through a link: the directory already belongs to the sandbox uid
        os.chown(path, SANDBOX_UID, SANDBOX_UID, follow_symlinks=False)
    if args.seccomp_file:
        descriptor = os.open(args.seccomp_file, os.O_RDONLY)
        os.set_inheritable(descriptor, True)
        command = [str(descriptor) if part == SECCOMP_FD_PLACEHOLDER else part for part in command]
    for item in args.rlimit:
        name, _, value = item.partition("=")
        limit = int(value)
        resource.setrlimit(getattr(resource, f"RLIMIT_{name.upper()}"), (limit, limit))
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
