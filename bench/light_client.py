"""A light HTTP/1.1 load client for the benchmarks: one asyncio event loop, one kept-alive
connection per concurrent client, requests written and responses read by hand.

The benchmarks run their clients on the same two cores as the server they measure; a client
built on ``requests`` in 32 threads costs about 1 ms of CPU per request (headers, adapters, the
GIL handed among threads), CPU the server then lacks. This client costs a fraction of that, so
the figures describe the server. It speaks only what the benchmarks send: JSON bodies, answers
with a Content-Length (which Django always sets for the API's JSON), keep-alive.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: object
    bearer: str


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    seconds: float  # from writing the request to reading the whole answer


class ConnectionClosed(RuntimeError):
    pass


def _encode(request: Request, host: str) -> bytes:
    body = json.dumps(request.body).encode()
    head = (f"{request.method} {request.path} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {request.bearer}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n")
    return head.encode("latin-1") + body


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    return status, await reader.readexactly(length) if length else b""


async def _client(url: str, queue: asyncio.Queue, answers: list[Answer | None]) -> None:
    parts = urlsplit(url)
    host = parts.netloc
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        while True:
            try:
                index, request = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            for attempt in range(2):  # the server may close an idle connection once: reconnect
                start = time.perf_counter()
                try:
                    writer.write(_encode(request, host))
                    await writer.drain()
                    status, body = await _read_answer(reader)
                    break
                except (asyncio.IncompleteReadError, ConnectionError):
                    if attempt:
                        raise
                    writer.close()
                    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            answers[index] = Answer(status, body, time.perf_counter() - start)
    finally:
        writer.close()


async def _run(url: str, requests: Sequence[Request], clients: int) -> list[Answer]:
    queue: asyncio.Queue = asyncio.Queue()
    for item in enumerate(requests):
        queue.put_nowait(item)
    answers: list[Answer | None] = [None] * len(requests)
    await asyncio.gather(*(_client(url, queue, answers) for _ in range(clients)))
    return [answer for answer in answers if answer is not None]


def send_all(url: str, requests: Iterable[Request], clients: int) -> list[Answer]:
    """Send every request over ``clients`` concurrent kept-alive connections; return the answers
    in the order of the requests."""
    return asyncio.run(_run(url, list(requests), clients))
