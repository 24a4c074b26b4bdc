"""HEAD answered as the GET of the same address, without its body (RFC 9110, section 9.3.2).

Litestar routes a `@get` handler for GET only, so link checkers, monitors and caches asking
HEAD got 405 everywhere but /static. Rather than declaring HEAD beside every GET, the app's
ASGI handler runs a HEAD as a GET and sends the same status and headers (Content-Length and
ETag included) with an empty body.
"""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send


def answer_head_as_get(app: ASGIApp) -> ASGIApp:
    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await app(scope, receive, send)
            return
        scope["method"] = "GET"

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await app(scope, receive, send_without_body)

    return handle
