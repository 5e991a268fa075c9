"""Kernel launcher: join the run's cgroups, set rlimits, then exec the sandbox.

Jupyter starts a kernel by running a command line; this module is that command's first
step, so the limits are in place before a single line of student code exists and every
process the kernel starts inherits them. Usage::

    python -m autograder.execution.launch [--cgroup-procs FILE]... [--rlimit NAME=N]... -- CMD...
"""

from __future__ import annotations

import argparse
import os
import resource


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="autograder-launch")
    parser.add_argument("--cgroup-procs", action="append", default=[], metavar="FILE")
    parser.add_argument("--rlimit", action="append", default=[], metavar="NAME=N")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to run")
    for procs in args.cgroup_procs:
        with open(procs, "w") as handle:
            handle.write(str(os.getpid()))
    for item in args.rlimit:
        name, _, value = item.partition("=")
        limit = int(value)
        resource.setrlimit(getattr(resource, f"RLIMIT_{name.upper()}"), (limit, limit))
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
