"""A host that accepts connections and never answers: the failure mode that stalls clients
without a deadline (a hung file host, a token authority behind a broken proxy)."""

from __future__ import annotations

import asyncio
import socket
import ssl


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 (TLS if a context is given, so clients get past
    the handshake) and never sends a byte of HTTP. `connections` counts who came."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._held: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> SilentServer:
        async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            self._held.append(writer)

        self._server = await asyncio.start_server(hold, "127.0.0.1", 0, ssl=self.tls)
        return self

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    async def __aexit__(self, *_: object) -> None:
        for writer in self._held:
            writer.close()
        assert self._server is not None
        self._server.close()


def closed_port() -> int:
    """A loopback port nobody listens on (connections are refused at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
