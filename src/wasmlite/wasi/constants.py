"""The numbers of WASI preview1 (``wasi_snapshot_preview1``): errno values, file
types, rights, flags and the byte layouts of the structures guests pass in memory.

Values come from the preview1 witx; one table each, named as the witx names them.
"""

from __future__ import annotations

import errno as _host_errno
from typing import Dict, NamedTuple

from ..errors import Trap

ERRNO_NAMES = (
    "SUCCESS 2BIG ACCES ADDRINUSE ADDRNOTAVAIL AFNOSUPPORT AGAIN ALREADY BADF BADMSG BUSY "
    "CANCELED CHILD CONNABORTED CONNREFUSED CONNRESET DEADLK DESTADDRREQ DOM DQUOT EXIST "
    "FAULT FBIG HOSTUNREACH IDRM ILSEQ INPROGRESS INTR INVAL IO ISCONN ISDIR LOOP MFILE "
    "MLINK MSGSIZE MULTIHOP NAMETOOLONG NETDOWN NETRESET NETUNREACH NFILE NOBUFS NODEV "
    "NOENT NOEXEC NOLCK NOLINK NOMEM NOMSG NOPROTOOPT NOSPC NOSYS NOTCONN NOTDIR NOTEMPTY "
    "NOTRECOVERABLE NOTSOCK NOTSUP NOTTY NXIO OVERFLOW OWNERDEAD PERM PIPE PROTO "
    "PROTONOSUPPORT PROTOTYPE RANGE ROFS SPIPE SRCH STALE TIMEDOUT TXTBSY XDEV NOTCAPABLE"
).split()
ERRNO: Dict[str, int] = {name: n for n, name in enumerate(ERRNO_NAMES)}

EBADF = ERRNO["BADF"]
EEXIST = ERRNO["EXIST"]
EFBIG = ERRNO["FBIG"]
EILSEQ = ERRNO["ILSEQ"]
EINVAL = ERRNO["INVAL"]
EIO = ERRNO["IO"]
EISDIR = ERRNO["ISDIR"]
ELOOP = ERRNO["LOOP"]
ENAMETOOLONG = ERRNO["NAMETOOLONG"]
ENOENT = ERRNO["NOENT"]
ENOTDIR = ERRNO["NOTDIR"]
EBUSY = ERRNO["BUSY"]
ENOTEMPTY = ERRNO["NOTEMPTY"]
ENOTSOCK = ERRNO["NOTSOCK"]
ENOTSUP = ERRNO["NOTSUP"]
EPERM = ERRNO["PERM"]
ESPIPE = ERRNO["SPIPE"]
EXDEV = ERRNO["XDEV"]

HOST_ERRNO: Dict[int, int] = {}
"""Host ``errno`` numbers to WASI ones, by name (EWOULDBLOCK and ENOTSUP share numbers
with EAGAIN and EOPNOTSUPP on some hosts; the first name wins)."""
for _name, _n in ERRNO.items():
    _host = getattr(_host_errno, "E" + _name, None)
    if _host is not None and _host not in HOST_ERRNO:
        HOST_ERRNO[_host] = _n
if hasattr(_host_errno, "EOPNOTSUPP"):
    HOST_ERRNO.setdefault(_host_errno.EOPNOTSUPP, ENOTSUP)


class WasiErrno(Exception):
    """Raised inside a WASI function: the call returns ``errno`` to the guest."""

    def __init__(self, errno: int) -> None:
        super().__init__(ERRNO_NAMES[errno] if errno < len(ERRNO_NAMES) else errno)
        self.errno = errno


def from_oserror(exc: OSError) -> int:
    """The WASI errno of a host ``OSError`` (EIO for one WASI has no name for)."""
    return HOST_ERRNO.get(exc.errno or 0, EIO)


class Kind(NamedTuple):
    """An enum (values below ``limit``) or flags (bits within ``limit``) type of the witx."""

    name: str
    limit: int
    is_enum: bool

    def check(self, value: int) -> None:
        if (value >= self.limit) if self.is_enum else (value & ~self.limit):
            raise self.trap()

    def trap(self) -> Trap:
        return Trap(f"invalid {'enum' if self.is_enum else 'flag'} value {self.name}")


# filetype
FILETYPE_UNKNOWN = 0
FILETYPE_BLOCK_DEVICE = 1
FILETYPE_CHARACTER_DEVICE = 2
FILETYPE_DIRECTORY = 3
FILETYPE_REGULAR_FILE = 4
FILETYPE_SOCKET_STREAM = 6
FILETYPE_SYMBOLIC_LINK = 7

# rights: one bit each, in witx order
RIGHT_NAMES = (
    "fd_datasync fd_read fd_seek fd_fdstat_set_flags fd_sync fd_tell fd_write fd_advise "
    "fd_allocate path_create_directory path_create_file path_link_source path_link_target "
    "path_open fd_readdir path_readlink path_rename_source path_rename_target "
    "path_filestat_get path_filestat_set_size path_filestat_set_times fd_filestat_get "
    "fd_filestat_set_size fd_filestat_set_times path_symlink path_remove_directory "
    "path_unlink_file poll_fd_readwrite sock_shutdown sock_accept"
).split()
RIGHT: Dict[str, int] = {name: 1 << n for n, name in enumerate(RIGHT_NAMES)}
RIGHTS_ALL = (1 << len(RIGHT_NAMES)) - 1

# fdflags
FDFLAGS_APPEND = 1
FDFLAGS_DSYNC = 2
FDFLAGS_NONBLOCK = 4
FDFLAGS_RSYNC = 8
FDFLAGS_SYNC = 16

# oflags
OFLAGS_CREAT = 1
OFLAGS_DIRECTORY = 2
OFLAGS_EXCL = 4
OFLAGS_TRUNC = 8

LOOKUP_SYMLINK_FOLLOW = 1

# fstflags
FSTFLAGS_ATIM = 1
FSTFLAGS_ATIM_NOW = 2
FSTFLAGS_MTIM = 4
FSTFLAGS_MTIM_NOW = 8

EVENTTYPE_CLOCK, EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE = 0, 1, 2
SUBCLOCKFLAGS_ABSTIME = 1

CLOCKID = Kind("Clockid", 4, True)
WHENCE = Kind("Whence", 3, True)
ADVICE = Kind("Advice", 6, True)
SIGNAL = Kind("Signal", 31, True)
FDFLAGS = Kind("Fdflags", 0x1F, False)
OFLAGS = Kind("Oflags", 0xF, False)
LOOKUPFLAGS = Kind("Lookupflags", 0x1, False)
FSTFLAGS = Kind("Fstflags", 0xF, False)
RIGHTS = Kind("Rights", RIGHTS_ALL, False)
RIFLAGS = Kind("Riflags", 0x3, False)
SIFLAGS = Kind("Siflags", 0x0, False)
SDFLAGS = Kind("Sdflags", 0x3, False)

# byte layouts (wasm32, little-endian)
# filestat: 64 bytes: dev u64, ino u64, filetype u8 @16, nlink u64 @24, size @32, atim @40, mtim @48, ctim @56
# fdstat: 24 bytes: filetype u8 @0, flags u16 @2, rights_base u64 @8, rights_inheriting u64 @16
DIRENT_SIZE = 24  # d_next u64, d_ino u64, d_namlen u32 @16, d_type u8 @20; the name follows
SUBSCRIPTION_SIZE = 48  # userdata u64, tag u8 @8, clock: id u32 @16, timeout u64 @24, precision @32, flags u16 @40; fd u32 @16
EVENT_SIZE = 32  # userdata u64, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24
IOVEC_SIZE = 8  # buf u32, buf_len u32
