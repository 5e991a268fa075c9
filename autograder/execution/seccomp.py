"""An optional seccomp filter for the student kernel, compiled by the system's libseccomp.

The filter is a deny list on top of the namespaces: it refuses the calls a notebook has
no use for and that widen the kernel's attack surface (new namespaces, mounts, ptrace,
eBPF, io_uring, kernel keyrings, module loading...). Everything else is allowed, so
torch, numpy, subprocesses and threads work as usual. A refused call fails with
``EPERM`` (``clone3`` with ``ENOSYS``, so the C library falls back to ``clone``, whose
namespace flags the filter can inspect) rather than killing the kernel: a student sees
an ordinary ``PermissionError``.

libseccomp (the library behind bubblewrap's, Docker's and systemd's filters) compiles
the rules; we only declare them and hand the compiled program to ``bwrap --seccomp FD``.
It is loaded with ``ctypes`` because the library is on nearly every Linux host
(``libseccomp2``) while its Python bindings are not on PyPI. Without the library the
sandbox runs without the filter and says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os

# Calls refused with EPERM. Flatpak's and Docker's default profiles refuse these too.
DENIED = (
    # namespaces, mounts and root changes: the sandbox's own walls stay as built
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "mount_setattr",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    # looking into or steering other processes
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    # large kernel attack surfaces a notebook never needs
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "keyctl",
    "add_key",
    "request_key",
    # host administration
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "acct",
    "swapon",
    "swapoff",
    "reboot",
    "syslog",
    "quotactl",
    "name_to_handle_at",
    "open_by_handle_at",
)
CLONE_NAMESPACE_FLAGS = (
    0x00020000  # CLONE_NEWNS
    | 0x02000000  # CLONE_NEWCGROUP
    | 0x04000000  # CLONE_NEWUTS
    | 0x08000000  # CLONE_NEWIPC
    | 0x10000000  # CLONE_NEWUSER
    | 0x20000000  # CLONE_NEWPID
    | 0x40000000  # CLONE_NEWNET
)
# Socket families a network namespace does not confine: vsock reaches the hypervisor and
# the host of a VM (a CI runner, a cloud grader) whatever namespace the kernel is in.
DENIED_SOCKET_FAMILIES = (40,)  # AF_VSOCK
_ACT_ALLOW = 0x7FFF0000
_CMP_EQ = 4
_CMP_MASKED_EQ = 7


def _act_errno(code: int) -> int:
    return 0x00050000 | code


class _ArgCmp(ctypes.Structure):
    """``struct scmp_arg_cmp``: compare one syscall argument."""

    _fields_ = (
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    )


class SeccompUnavailable(RuntimeError):
    """libseccomp is missing or refused to build the filter."""


@functools.cache
def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("seccomp")
    if name is None:
        raise SeccompUnavailable("libseccomp not found (apt-get install libseccomp2)")
    lib = ctypes.CDLL(name, use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = (ctypes.c_uint32,)
    lib.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
    lib.seccomp_rule_add_array.argtypes = (
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    )
    lib.seccomp_export_bpf.argtypes = (ctypes.c_void_p, ctypes.c_int)
    lib.seccomp_release.argtypes = (ctypes.c_void_p,)
    return lib


@functools.cache
def compile_filter() -> bytes:
    """The filter as a classic BPF program, the form ``bwrap --seccomp`` reads."""
    lib = _library()
    context = lib.seccomp_init(_ACT_ALLOW)
    if not context:
        raise SeccompUnavailable("seccomp_init failed")
    try:

        def deny(name: str, code: int, *conditions: _ArgCmp) -> None:
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:  # not a call on this architecture
                return
            array = (_ArgCmp * len(conditions))(*conditions) if conditions else None
            if lib.seccomp_rule_add_array(context, _act_errno(code), number, len(conditions), array) != 0:
                raise SeccompUnavailable(f"libseccomp refused the rule for {name}")

        for name in DENIED:
            deny(name, errno.EPERM)
        # clone3 passes its flags in memory a filter cannot read: make the C library fall back to clone.
        deny("clone3", errno.ENOSYS)
        for flag in _bits(CLONE_NAMESPACE_FLAGS):
            deny("clone", errno.EPERM, _ArgCmp(0, _CMP_MASKED_EQ, flag, flag))
        for family in DENIED_SOCKET_FAMILIES:
            for call in ("socket", "socketpair"):
                deny(call, errno.EAFNOSUPPORT, _ArgCmp(0, _CMP_EQ, family, 0))
        descriptor = os.memfd_create("autograder-seccomp")
        try:
            if lib.seccomp_export_bpf(context, descriptor) != 0:
                raise SeccompUnavailable("seccomp_export_bpf failed")
            os.lseek(descriptor, 0, os.SEEK_SET)
            return _read_all(descriptor)
        finally:
            os.close(descriptor)
    finally:
        lib.seccomp_release(context)


def seccomp_problem() -> str | None:
    """Why no filter can be built here, or None."""
    try:
        compile_filter()
    except (SeccompUnavailable, OSError) as error:
        return str(error)
    return None


def _bits(mask: int) -> list[int]:
    return [1 << bit for bit in range(mask.bit_length()) if mask & (1 << bit)]


def _read_all(descriptor: int) -> bytes:
    chunks = []
    while chunk := os.read(descriptor, 65536):
        chunks.append(chunk)
    return b"".join(chunks)
