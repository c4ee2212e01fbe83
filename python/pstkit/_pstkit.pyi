"""Type stubs of the extension module (src/*.rs)."""

from __future__ import annotations

import datetime
import os
from types import TracebackType
from typing import Any, Iterator, final

import pyarrow

from pstkit.errors import Error

__all__ = [
    "File",
    "Folder",
    "Message",
    "Recipient",
    "Attachment",
    "Messages",
    "open",
    "messages_schema",
    "attachments_schema",
    "__version__",
]

__version__: str

def open(path: str | os.PathLike[str]) -> File: ...
def messages_schema() -> pyarrow.Schema: ...
def attachments_schema(with_data: bool = False) -> pyarrow.Schema: ...

@final
class File:
    @property
    def path(self) -> str: ...
    def close(self) -> None: ...
    def __enter__(self) -> File: ...
    def __exit__(
        self,
        ty: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...
    def info(self) -> dict[str, Any]: ...
    def check(self, deep: bool = False) -> dict[str, Any]: ...
    def folders(self) -> list[Folder]: ...
    def messages(self, folder: str | None = None, *, strict: bool = False) -> Messages: ...
    def convert(
        self,
        dst: str | os.PathLike[str],
        *,
        ost: bool = False,
        four_k: bool = False,
        salvage: bool = False,
        rebuild: bool = False,
        force: bool = False,
        bind_to: tuple[str, str] | tuple[str, str, str] | None = None,
    ) -> dict[str, Any]: ...
    def binding(self) -> dict[str, Any] | None: ...
    def export(
        self,
        out: str | os.PathLike[str],
        format: str = "eml",
        *,
        force: bool = False,
        with_attachment_data: bool = False,
    ) -> dict[str, Any]: ...
    def record_batches(
        self, batch_size: int = 1024, *, source: str | None = None, threads: int | None = None
    ) -> pyarrow.RecordBatchReader: ...
    def attachment_batches(
        self,
        batch_size: int = 1024,
        *,
        with_data: bool = False,
        source: str | None = None,
        threads: int | None = None,
    ) -> pyarrow.RecordBatchReader: ...
    @property
    def lost(self) -> list[Error]: ...

@final
class Folder:
    path: str
    nid: int
    items: int
    associated: int
    subfolders: int
    container_class: str | None
    is_search_folder: bool

@final
@final
class Messages(Iterator[Message]):
    skipped: list[Error]
    def __iter__(self) -> Messages: ...
    def __next__(self) -> Message: ...

@final
class Message:
    @property
    def nid(self) -> int: ...
    @property
    def folder(self) -> str: ...
    @property
    def message_class(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def subject(self) -> str | None: ...
    @property
    def sender_name(self) -> str | None: ...
    @property
    def sender_address(self) -> str | None: ...
    @property
    def sent(self) -> datetime.datetime | None: ...
    @property
    def received(self) -> datetime.datetime | None: ...
    @property
    def date(self) -> datetime.datetime | None: ...
    @property
    def size(self) -> int | None: ...
    @property
    def read(self) -> bool: ...
    @property
    def body_text(self) -> str | None: ...
    @property
    def body_html(self) -> str | None: ...
    @property
    def transport_headers(self) -> str | None: ...
    @property
    def internet_message_id(self) -> str | None: ...
    @property
    def conversation_topic(self) -> str | None: ...
    @property
    def recipients(self) -> list[Recipient]: ...
    @property
    def attachments(self) -> list[Attachment]: ...

@final
class Recipient:
    kind: str
    name: str | None
    address: str | None

@final
class Attachment:
    @property
    def index(self) -> int: ...
    @property
    def filename(self) -> str | None: ...
    @property
    def mime_type(self) -> str | None: ...
    @property
    def content_id(self) -> str | None: ...
    @property
    def size(self) -> int | None: ...
    @property
    def is_embedded_message(self) -> bool: ...
    def data(self) -> bytes | None: ...
    def embedded(self) -> Message | None: ...
