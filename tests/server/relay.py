"""A TCP relay, for app hosts in network namespaces to reach a PostgreSQL that listens on 127.0.0.1
only (as CI's does: opening it wider would change the machine, not just the test).

    python -m tests.server.relay TARGET_HOST:PORT LISTEN_HOST:PORT [LISTEN_HOST:PORT ...]

It prints "relaying" once every address listens. Each connection gets its own to the target; when
either side closes or dies, the other is closed too (a killed host's database sessions end, as they
would over a real network).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from functools import partial

CHUNK = 1 << 16


def address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    writer.close()


async def relay(target: tuple[str, int], reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(*target)
    except OSError:
        writer.close()
        return
    await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


async def main(target: tuple[str, int], listens: list[tuple[str, int]]) -> None:
    servers = [await asyncio.start_server(partial(relay, target), host, port) for host, port in listens]
    print("relaying", flush=True)
    await asyncio.gather(*(server.serve_forever() for server in servers))


if __name__ == "__main__":
    asyncio.run(main(address(sys.argv[1]), [address(text) for text in sys.argv[2:]]))
