"""Frames to and from one sandboxed process, with deadlines and caps.

The grader never blocks on a sandbox: every send and receive has a
deadline, a frame longer than the cap is refused before it is read, and
the bytes received from one sandbox are counted against a total cap. A
sandbox that stops answering, ends, or sends what is not a frame gives a
:class:`ChannelError` that says which, and the grader goes on.
"""
from __future__ import annotations

import json
import os
import select
import struct
import time

from autograder.driver import wire

_HEADER = struct.Struct(">Q")


class ChannelError(Exception):
    """Why a sandbox's stream stopped: ``kind`` is "timeout", "closed" or
    "corrupt"; the message is a sentence."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class Channel:
    def __init__(self, write_fd: int, read_fd: int, *, frame_cap: int = wire.MAX_FRAME,
                 total_cap: int = 256 << 20):
        self.write_fd, self.read_fd = write_fd, read_fd
        self.frame_cap, self.total_cap = frame_cap, total_cap
        self.received = 0
        self._buffer = bytearray()
        os.set_blocking(write_fd, False)
        os.set_blocking(read_fd, False)

    def send(self, message: dict, deadline: float) -> None:
        view = memoryview(wire.dumps(message))
        while view:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise ChannelError("timeout", "it stopped reading its input")
            _, ready, _ = select.select([], [self.write_fd], [], wait)
            if ready:
                try:
                    view = view[os.write(self.write_fd, view):]
                except BrokenPipeError:
                    raise ChannelError("closed", "it ended") from None
                except BlockingIOError:
                    continue

    def recv(self, deadline: float) -> dict:
        """The next message; ChannelError when there is none in time."""
        while True:
            message = self._take()
            if message is not None:
                return message
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise ChannelError("timeout", "it did not answer in time")
            ready, _, _ = select.select([self.read_fd], [], [], wait)
            if not ready:
                continue
            try:
                chunk = os.read(self.read_fd, 1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                raise ChannelError("closed", "it ended")
            self.received += len(chunk)
            if self.received > self.total_cap:
                raise ChannelError("corrupt", f"it sent more than {self.total_cap >> 20} MiB")
            self._buffer += chunk

    def _take(self) -> dict | None:
        if len(self._buffer) < _HEADER.size:
            return None
        (size,) = _HEADER.unpack_from(self._buffer)
        if size > self.frame_cap:
            raise ChannelError("corrupt", f"it sent a message of {size} bytes "
                               f"(at most {self.frame_cap})")
        if len(self._buffer) < _HEADER.size + size:
            return None
        body = bytes(self._buffer[_HEADER.size:_HEADER.size + size])
        del self._buffer[:_HEADER.size + size]
        try:
            message = json.loads(body)
        except (ValueError, RecursionError):
            raise ChannelError("corrupt", "it sent a message that is not JSON") from None
        if not isinstance(message, dict):
            raise ChannelError("corrupt", "it sent a message that is not an object")
        return message

    def close(self) -> None:
        for fd in (self.write_fd, self.read_fd):
            try:
                os.close(fd)
            except OSError:
                pass
