"""``autograder review ASSIGNMENT``: the TA review app, on this machine only.

It listens on 127.0.0.1 and prints one URL carrying a random token, as Jupyter does;
anyone with that URL can grade, so share it only with the course's TAs (each sets the
name their changes are recorded under in the page's header). Stop it with Ctrl+C: every
change is already in the gradebook and the exports.
"""

from __future__ import annotations

import argparse
import getpass
import secrets

from rich.console import Console

from autograder.cli import options
from autograder.course import assignment as assignments
from autograder.grading.marking import Marking
from autograder.review.server import ReviewServer

console = Console(stderr=True, soft_wrap=True)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("review", help="grade written answers, override and extend, in a local web app")
    parser.add_argument("assignment")
    options.add_output(parser)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--grader", default=getpass.getuser(), help="the name changes are recorded under by default")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    assignment = assignments.load(assignments.course_root(args.course), args.assignment)
    gradebook, output = options.existing_gradebook(args, assignment.id)
    token = secrets.token_urlsafe(24)
    server = ReviewServer(Marking(assignment, gradebook, output), token, args.port, args.grader)
    console.print(f"review {assignment.id}: open http://127.0.0.1:{server.port}/?token={token}  (Ctrl+C stops it)")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        gradebook.close()
    return 0
