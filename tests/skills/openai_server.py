"""A local OpenAI-compatible chat-completions server (aiohttp, 127.0.0.1, port 0) for tests.

It speaks the real wire format the `openai` package uses: POST /v1/chat/completions (JSON or
SSE streaming with `stream: true`), the Azure path /openai/deployments/{name}/chat/completions,
GET /v1/models, and POST /v1/embeddings (Azure: /openai/deployments/{name}/embeddings) with
`encoding_format` "float" or "base64" (little-endian float32, what the openai package asks for
by default) and `dimensions`. Replies are scripted (`Reply`), including 429/5xx with Retry-After and slow
answers; every request body, header set and arrival time is recorded for assertions.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Reply:
    content: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (timeouts)
    chunks: list[str] | None = None  # streaming pieces; default: content split in 3
    chunk_delay: float = 0.0  # seconds between streamed pieces (a model writing)


@dataclass
class Received:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float  # time.monotonic()

    @property
    def text(self) -> str:
        """Everything the model was sent, as one string (for privacy assertions)."""
        return "\n".join(str(m.get("content", "")) for m in self.body.get("messages", []))


@dataclass
class FakeOpenAI:
    replies: list[Reply] = field(default_factory=list)  # consumed in order
    default: Callable[[dict[str, Any]], str] = lambda body: "KEINE_AUSSAGE"
    received: list[Received] = field(default_factory=list)
    # Embeddings: a deterministic stand-in model (hashed bag of words), sized by the request's
    # `dimensions` or `embedding_dim`; `embedding_replies` scripts errors like `replies`.
    embedding_dim: int = 64
    embedding_replies: list[Reply] = field(default_factory=list)
    base_url: str = ""  # e.g. http://127.0.0.1:PORT/v1
    root_url: str = ""  # e.g. http://127.0.0.1:PORT (Azure endpoint)

    def next_reply(self, body: dict[str, Any]) -> Reply:
        if self.replies:
            return self.replies.pop(0)
        return Reply(content=self.default(body))

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.received.append(Received(request.path, body, dict(request.headers), time.monotonic()))
        reply = self.next_reply(body)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.status != 200:
            return web.json_response(
                {"error": {"message": "scripted error", "type": "server_error", "code": None}},
                status=reply.status,
                headers=reply.headers,
            )
        model = body.get("model", "test-model")
        if body.get("stream"):
            return await self._stream(request, reply, model)
        return web.json_response(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply.content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            },
            headers=reply.headers,
        )

    async def _stream(self, request: web.Request, reply: Reply, model: str) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        content = reply.content
        pieces = reply.chunks
        if pieces is None:
            third = max(1, len(content) // 3)
            pieces = [content[i : i + third] for i in range(0, len(content), third)]
        for piece in pieces:
            if reply.chunk_delay:
                await asyncio.sleep(reply.chunk_delay)
            event = {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
            }
            await response.write(f"data: {json.dumps(event)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def embeddings(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(Received(request.path, body, dict(request.headers), time.monotonic()))
        reply = self.embedding_replies.pop(0) if self.embedding_replies else Reply()
        if reply.status != 200:
            return web.json_response(
                {"error": {"message": "scripted error", "type": "server_error", "code": None}},
                status=reply.status,
                headers=reply.headers,
            )
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if (
            not isinstance(texts, list)
            or not texts
            or not all(isinstance(t, str) and t for t in texts)
        ):
            return web.json_response(
                {
                    "error": {
                        "message": "'input' must be a non-empty string or array of them",
                        "type": "invalid_request_error",
                        "code": None,
                    }
                },
                status=400,
            )
        dim = int(body.get("dimensions") or self.embedding_dim)
        data = []
        for i, text in enumerate(texts):
            vector = hashed_embedding(text, dim)
            embedding: list[float] | str = vector
            if body.get("encoding_format") == "base64":
                embedding = base64.b64encode(struct.pack(f"<{dim}f", *vector)).decode("ascii")
            data.append({"object": "embedding", "index": i, "embedding": embedding})
        tokens = sum(len(t.split()) for t in texts)
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": body.get("model", "test-embedding"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    async def models(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"object": "list", "data": [{"id": "test-model", "object": "model", "owned_by": "me"}]}
        )

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_post("/openai/deployments/{deployment}/chat/completions", self.chat)
        app.router.add_post("/v1/embeddings", self.embeddings)
        app.router.add_post("/openai/deployments/{deployment}/embeddings", self.embeddings)
        app.router.add_get("/v1/models", self.models)
        app.router.add_get("/openai/models", self.models)
        return app


def hashed_embedding(text: str, dim: int) -> list[float]:
    """A stand-in embedding: each lower-cased word adds 1 to a bucket chosen by its hash, so
    texts sharing words point the same way. Not normalised (like some on-premise servers)."""
    vector = [0.0] * dim
    for word in text.lower().split():
        bucket = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big") % dim
        vector[bucket] += 1.0
    return vector


@asynccontextmanager
async def openai_server(fake: FakeOpenAI | None = None) -> AsyncIterator[FakeOpenAI]:
    fake = fake or FakeOpenAI()
    server = TestServer(fake.app(), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        fake.root_url = str(server.make_url("")).rstrip("/")
        fake.base_url = f"{fake.root_url}/v1"
        yield fake
    finally:
        await server.close()
