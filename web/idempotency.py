"""Retries without duplicates: a write sent again with the same idempotency key gets the first
answer again and changes nothing more, whichever host or worker it reaches, even one that started
after another died mid-request (the state is in the database: web/idempotent_requests.py).

- The API: an `Idempotency-Key` header on a POST, PUT or PATCH (1 to 255 printable ASCII
  characters). The key is the caller's (their account, or their address when signed out), and
  bound to the request it came with: the same key with another method, address or body is a 422.
- Pages: every form carries a hidden `_idempotency_key`, fresh each time the form is shown. A form
  sent twice (a double click, a reload of the answer, the back button) gets the first answer,
  typically the redirection to what it made. The same form changed and sent again with its old
  key, which is what the back button gives, is a new submission, as its author means it.

A request holding a key that another request still runs waits for that answer a few seconds,
then is told to try again (409, Retry-After). Answers that depend on the moment (401, 403, 408,
409, 429, 5xx) are not kept when nothing was applied: the key is freed for the retry. An answer
that holds a secret (routes with NO_REPLAY, or an answer setting a cookie) is never stored: a
retry is told it was answered already.

Its place: after the CSRF check (a form is the session's own before it counts) and authentication
(the owner of a key), before the response cache (which answers no write).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from functools import partial
from urllib.parse import urlencode

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.types import Message as ASGIMessage

from web import idempotent_requests as stored
from web.csrf import FIELD as CSRF_FIELD
from web.database import before_commit
from web.failures import Conflict, DomainError, InvalidInput
from web.idempotent_requests import Answer, Claim, Found
from web.messages import Message
from web.requests import client_address

log = logging.getLogger("referentiel.idempotency")

HEADER = b"idempotency-key"
FIELD = "_idempotency_key"
WRITES = frozenset({"POST", "PUT", "PATCH"})
MAX_KEY = 255
# Route `opt`: an answer that holds a secret (a new API token) is not kept, a retry gets 409; forms
# that sign in or out (their answer sets the session cookie) are not guarded at all.
OPTION = "idempotency"
NO_REPLAY = {OPTION: "no-replay"}
PASS_THROUGH = {OPTION: "pass-through"}
# What a replayed answer says besides its body; Content-Length is computed again.
KEPT_HEADERS = frozenset({b"content-type", b"location", b"content-language", b"cache-control"})
# Answers of the moment: kept only when the request applied something.
RETRYABLE = frozenset({401, 403, 408, 409, 425, 429})
WAIT_SECONDS = 5.0  # how long a retry waits for the answer of the same key still running
POLL_SECONDS = 0.1


class KeyReused(DomainError):
    status_code = 422


class StillRunning(Conflict):
    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}


def _valid(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY and all(" " <= char <= "~" for char in key)


def _owner(scope: Scope) -> str:
    user = scope.get("user")
    if user is not None:
        return f"account:{user.id}"
    proxies = scope["litestar_app"].state.settings.trusted_proxies
    return f"address:{client_address(scope, proxies)}"


def fingerprint(scope: Scope, content: bytes) -> str:
    """What binds a key to its request: SHA-256 of its method, address (query included) and body."""
    target = f"{scope['method']} {scope['path']}?{scope['query_string'].decode('latin-1')}\n"
    return hashlib.sha256(target.encode("utf-8", "surrogatepass") + content).hexdigest()


async def _keyed(scope: Scope, receive: Receive) -> tuple[str, str, str] | None:
    """(owner, key, fingerprint) of a request sent with a key; None without one."""
    request: Request = scope["litestar_app"].request_class(scope=scope, receive=receive)
    if scope["path"].startswith("/api/"):
        sent = request.headers.get(HEADER.decode())
        if sent is None:
            return None
        if not _valid(sent):
            raise InvalidInput("The Idempotency-Key header must be 1 to 255 printable ASCII characters.")
        # The body is kept for the handler to read again.
        return _owner(scope), sent, fingerprint(scope, await request.body())
    if request.content_type[0] not in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART):
        return None
    form = await request.form()
    sent = form.get(FIELD)
    if not isinstance(sent, str) or not sent:
        return None
    if not _valid(sent):
        raise InvalidInput("The form's idempotency key is not valid: reload the page and send it again.")
    fields = [
        (name, value if isinstance(value, str) else getattr(value, "filename", ""))
        for name, value in form.multi_items()
        if name not in (FIELD, CSRF_FIELD)
    ]
    bound = fingerprint(scope, urlencode(fields).encode())
    # The key with its fingerprint: a form changed and sent again is a new submission.
    return f"form:{_owner(scope)}", f"{sent}:{bound}", bound


async def _claim(owner: str, key: str, bound: str) -> Claim | Answer:
    """This request's claim on the key, or the answer to repeat; the refusals of a key in use."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = await stored.claim(owner, key, bound)
        if isinstance(found, Claim):
            return found
        if found is None:  # released between two statements: claim it again
            continue
        decided = _decided(found, bound)
        if decided is not None:
            return decided
        if found.lease_expired:  # its host died before applying it: run it here
            taken = await stored.take_over(found)
            if taken is not None:
                return taken
            continue
        if time.monotonic() >= deadline:
            raise StillRunning(
                Message("A request with this Idempotency-Key is still running: try again in a moment.")
            )
        await asyncio.sleep(POLL_SECONDS)


def _decided(found: Found, bound: str) -> Answer | None:
    """The answer an earlier request left for this key; None while it runs, stores its answer, or
    if it died before applying anything."""
    if found.fingerprint != bound:
        raise KeyReused(
            Message("This Idempotency-Key was sent with another request: a new request needs a new key.")
        )
    if found.answer is not None and found.answer.body is not None:
        return found.answer
    if found.answer is not None:
        raise Conflict(
            "This request was answered already, and its answer is not kept: "
            "send a new request with a new Idempotency-Key."
        )
    if found.applied and found.lease_expired:  # its host died between its commit and its answer
        raise Conflict(
            "This request was applied, but its answer was lost: do not send it again; "
            "read the result instead."
        )
    return None


async def _replay(send: Send, answer: Answer) -> None:
    body = answer.body or b""
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers]
    headers += [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _settle(claim: Claim, start: ASGIMessage, body: bytes, no_replay: bool) -> None:
    """Keep the answer for the retries (before the client has it), or free the key."""
    status = start["status"]
    if not claim.applied and (status in RETRYABLE or status >= 500):
        await stored.release(claim)
        return
    headers = start.get("headers", [])
    secret = no_replay or any(name.lower() == b"set-cookie" for name, _ in headers)
    kept = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in headers
        if name.lower() in KEPT_HEADERS
    ]
    await stored.store_answer(claim, Answer(status, kept, None if secret else body))


async def _run(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, claim: Claim, no_replay: bool
) -> None:
    held: list[ASGIMessage] = []

    async def storing(message: ASGIMessage) -> None:
        if message["type"] == "http.response.start":
            held.append(message)
            return
        if message["type"] != "http.response.body" or not held:
            await send(message)
            return
        held.append(message)
        if message.get("more_body"):
            return
        claim.answered = True
        start, *chunks = held
        held.clear()
        body = b"".join(chunk.get("body", b"") for chunk in chunks)
        try:
            await _settle(claim, start, body, no_replay)
        except Exception:
            # The answer goes out all the same; a retry is told it was applied, or once the lease
            # is over runs it again if it was not.
            log.exception("the answer of an idempotent request could not be kept")
        await send(start)
        await send({"type": "http.response.body", "body": body})

    with before_commit(partial(stored.mark_applied, claim)):
        try:
            await app(scope, receive, storing)
        except BaseException:
            if not claim.answered:
                await stored.release(claim)
            raise


def idempotency_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITES:
            await app(scope, receive, send)
            return
        option = scope["route_handler"].opt.get(OPTION)
        keyed = None if option == PASS_THROUGH[OPTION] else await _keyed(scope, receive)
        if keyed is None:
            await app(scope, receive, send)
            return
        outcome = await _claim(*keyed)
        if isinstance(outcome, Answer):
            await _replay(send, outcome)
            return
        await _run(app, scope, receive, send, outcome, option == NO_REPLAY[OPTION])

    return middleware
