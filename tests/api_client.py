"""A JSON API client for tests: accounts with their bearer tokens, and calls under /api/v1."""

from __future__ import annotations

import httpx

from proposals.accounts import register_account
from proposals.roles import Role
from tests.constants import PASSWORD


class Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def token(self, email: str, role: Role = Role.practitioner, name: str | None = None) -> dict:
        await register_account(email, PASSWORD, name or email.split("@")[0], role=role)
        response = await self.client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
        body = response.json()
        return {"Authorization": f"Bearer {body['token']}", "id": body["account_id"]}

    async def call(self, method: str, path: str, who: dict | None = None, **kwargs) -> httpx.Response:
        headers = {"Authorization": who["Authorization"]} if who else {}
        return await self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)
