"""The embedded job queue: kombu's `filesystem://` transport, made safe to crash in.

kombu's own transport writes a message straight into its final `*.msg` file and the reader
takes any `*.msg` file it finds without a lock: a reader that polls between the writer's
`open()` and its `write()` (or a writer that dies in between, or a disk that fills up) gets an
empty or truncated file, `json.loads` raises, and the exception kills the worker's consumer.
Two changes close that door:

- **atomic writes**: a message is written under a temporary name that no reader looks at,
  flushed and fsynced, then renamed to its `*.msg` name (a rename is atomic on one filesystem);
- **quarantine**: a file that still cannot be decoded (written by another tool, damaged on disk)
  is moved to `<broker>/quarantine/` and counted, and the reader goes on with the next message.

`hearth.celery` registers this class as the `filesystem` transport, so `filesystem://` (the
default broker URL) uses it in every process that imports Hearth.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

log = logging.getLogger(__name__)

QUARANTINE = "quarantine"
TMP_SUFFIX = ".part"


def quarantine_folder(data_folder_in: str | os.PathLike[str]) -> Path:
    """Where unreadable messages go: next to the queue folder, under the broker directory."""
    return Path(data_folder_in).parent / QUARANTINE


def quarantined(data_folder_in: str | os.PathLike[str]) -> list[Path]:
    """The quarantined message files, oldest first."""
    folder = quarantine_folder(data_folder_in)
    if not folder.is_dir():
        return []
    return sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]  # kombu passes publish options
        """Write the message under a temporary name, then rename it into the queue."""
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + TMP_SUFFIX
        try:
            with open(partial, "wb", buffering=0) as f:
                f.write(str_to_bytes(dumps(payload)))
                os.fsync(f.fileno())
            os.replace(partial, final)
        except OSError as exc:
            try:
                os.unlink(partial)
            except OSError:
                pass
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        """The next readable message of `queue`; unreadable files are quarantined, skipped."""
        queue_find = f"{queue}.msg"
        processed = self.processed_folder if self.store_processed else tempfile.gettempdir()
        for filename in sorted(os.listdir(self.data_folder_in)):
            if filename.partition(".")[2] != queue_find:
                continue
            source = os.path.join(self.data_folder_in, filename)
            target = os.path.join(processed, filename)
            try:
                # Moving the file first claims it: another reader's move then fails.
                shutil.move(source, target)
            except OSError:
                continue
            try:
                with open(target, "rb") as f:
                    payload = f.read()
                message = loads(bytes_to_str(payload))
            except OSError as exc:
                raise ChannelError(f"Cannot read file {target!r} from queue.") from exc
            except ValueError:  # JSONDecodeError, UnicodeDecodeError: a damaged file
                self._quarantine(target, filename)
                continue
            if not self.store_processed:
                os.remove(target)
            return message
        raise Empty()

    def _quarantine(self, path: str, filename: str) -> None:
        folder = quarantine_folder(self.data_folder_in)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            shutil.move(path, folder / filename)
        except OSError:
            log.exception("Could not move the unreadable queue message %s aside.", path)
            return
        log.error("Queue message %s could not be read; moved to %s and skipped.", filename, folder)

    def _size(self, queue: str) -> int:
        queue_find = f"{queue}.msg"
        return sum(
            1 for name in os.listdir(self.data_folder_in) if name.partition(".")[2] == queue_find
        )


class Transport(filesystem.Transport):
    Channel = Channel
