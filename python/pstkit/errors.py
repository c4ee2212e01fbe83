"""The exceptions pstkit raises, one class per kind of failure.

Each carries the details pstkit located: a damaged structure's name, id and
file offset, the node id of the item it was met in, the byte of a binding
record that is wrong.
"""

from __future__ import annotations

from typing import Any


class Error(Exception):
    """Base class of every pstkit error.

    An error that stands for a folder or item left out (in
    ``Messages.skipped`` and ``File.lost``) says which: ``lost`` is
    ``"folder"`` or ``"item"``, ``folder`` the folder's path, ``item`` the
    node id.
    """

    lost: str | None = None
    folder: str | None = None
    item: int | None = None

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        for name, value in details.items():
            setattr(self, name, value)


class NotAPstError(Error):
    """The input is not a PST or OST file (a directory, or a file without
    the ``!BDN`` signature)."""


class DamagedError(Error):
    """A structure of the file is damaged or not understood.

    ``structure`` (``"header"``, ``"NBT page"``, ``"data block"``, …), ``id``
    and ``offset`` locate it when the node database found it; ``problem``
    says what is wrong; ``nid`` is the node it was met in, when known. Any of
    them may be ``None``.
    """

    structure: str | None = None
    id: int | None = None
    offset: int | None = None
    problem: str | None = None
    nid: int | None = None


class BindingError(Error):
    """The mailbox binding record of an OST is unreadable or inconsistent;
    ``offset`` is the byte of the record that is wrong, when known."""

    offset: int | None = None


class OtherMailboxError(BindingError):
    """The file is bound to another mailbox than the one its store names
    (``record_mailbox`` and ``store_mailbox`` are the two GUIDs)."""

    record_mailbox: str | None = None
    store_mailbox: str | None = None


class IoError(Error, OSError):
    """The file could not be opened, mapped, read or written. ``errno`` and
    ``filename`` are those of the system call, as for ``OSError``."""

    def __init__(self, message: str, **details: Any) -> None:
        Error.__init__(self, message, **details)
        # OSError's own attributes, which its constructor did not set.
        self.strerror = message


class SourceChangedError(Error):
    """The input changed while it was read (another program truncated or
    rewrote it); nothing read from it is kept."""


class OutputError(Error):
    """An output pstkit was asked to write exists, is not a regular file,
    lies in a folder that does not exist, or is the input."""

    filename: str | None = None


class InternalError(Error):
    """pstkit stopped where it should not have (a bug): the file may be
    fine; please report it."""


__all__ = [
    "Error",
    "NotAPstError",
    "DamagedError",
    "BindingError",
    "OtherMailboxError",
    "IoError",
    "SourceChangedError",
    "OutputError",
    "InternalError",
]
