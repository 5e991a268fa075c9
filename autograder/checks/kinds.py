"""Why a check did not pass, as one vocabulary shared by the comparison, the judge, the results and the gradebook.

The values are the words stored in the gradebook's ``checks.kind`` column, so a member
compares equal to the string it replaced.
"""

from __future__ import annotations

import enum


class Kind(enum.StrEnum):
    # the value was compared and differs (``compare``)
    TYPE = "type"
    LENGTH = "length"
    KEYS = "keys"
    SHAPE = "shape"
    DTYPE = "dtype"
    DEVICE = "device"
    VALUES = "values"
    PROPERTY = "property"  # the values match, a property check does not hold
    # there was no value to compare (``judge``)
    MISSING = "missing"  # the function is not defined
    NOT_IMPLEMENTED = "not implemented"  # it still raises NotImplementedError
    ERROR = "error"  # it raised
    NO_OUTPUT = "no output"  # nothing came back from the kernel
    UNREADABLE = "unreadable"  # what came back could not be compared
    SUBMISSION = "submission"  # the notebook itself could not be run
    NOT_RUN = "not run"  # the check was not run here (say, no GPU runner)
