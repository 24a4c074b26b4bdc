"""A minimal HTTP/1.1 client on asyncio streams, light enough to send hundreds of requests per second
from one process without taking the core the server needs (no parsing beyond status and length).

Only ever connects to 127.0.0.1 (bench/serving.py HOST).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from serving import HOST


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    host: str | None = None  # the Host header (the connection still goes to 127.0.0.1)

    def encode(self, port: int) -> bytes:
        host = self.host or f"{HOST}:{port}"
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}", "User-Agent: bench"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body or self.method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    keep_alive: bool


class Connection:
    """One keep-alive connection, opened again when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    def local_port(self) -> int:
        assert self.writer is not None
        return int(self.writer.get_extra_info("sockname")[1])

    async def send(self, request: Request, *, read_body: bool = True) -> Answer:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(request.encode(self.port))
        await self.writer.drain()
        answer = await read_answer(self.reader, read_body)
        if not answer.keep_alive:
            await self.close()
        return answer

    def abandon(self) -> None:
        """Close without waiting (from code that must not await)."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def read_answer(reader: asyncio.StreamReader, read_body: bool = True) -> Answer:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split()[1])
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        body = await _read_chunked(reader)
    else:
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
    keep_alive = headers.get("connection") != "close"
    return Answer(status, body if read_body else b"", keep_alive)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readline()).split(b";")[0].strip(), 16)
        if size == 0:
            await reader.readline()  # no trailers are expected: the empty line ending the body
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readline()
