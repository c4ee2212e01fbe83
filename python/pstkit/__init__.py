"""Read Outlook PST and OST files without Outlook.

>>> import pstkit
>>> with pstkit.open("mailbox.pst") as f:
...     for m in f.messages():
...         print(m.folder, m.subject, m.sender_address)
"""

from __future__ import annotations

from pstkit._pstkit import (
    Attachment,
    File,
    Folder,
    Message,
    Messages,
    Recipient,
    __version__,
    attachments_schema,
    messages_schema,
    open,
)
from pstkit.errors import (
    BindingError,
    DamagedError,
    Error,
    InternalError,
    IoError,
    NotAPstError,
    OtherMailboxError,
    OutputError,
    SourceChangedError,
)

__all__ = [
    "open",
    "messages_schema",
    "attachments_schema",
    "File",
    "Folder",
    "Message",
    "Messages",
    "Recipient",
    "Attachment",
    "Error",
    "NotAPstError",
    "DamagedError",
    "BindingError",
    "OtherMailboxError",
    "IoError",
    "SourceChangedError",
    "OutputError",
    "InternalError",
    "__version__",
]
