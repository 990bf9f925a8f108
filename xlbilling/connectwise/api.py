"""A direct pull from the ConnectWise Manage REST API (/v4_6_release/apis/3.0), as ConnectWise
documents it: Basic authentication as `<company>+<public key>:<private key>` with a `clientId`
header, pages of 1,000 followed by their `Link: rel="next"`, time entries filtered by `conditions`,
retries with backoff on 429 and 5xx (honouring Retry-After). The keys come from the environment
(XLBILLING_CW_PUBLIC_KEY, XLBILLING_CW_PRIVATE_KEY, XLBILLING_CW_CLIENT_ID) or the OS keyring
(service `xlbilling-connectwise`), never from the workbook."""

from __future__ import annotations

import base64
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from collections.abc import Callable, Mapping

PAGE_SIZE = 1000
TRIES = 5


class ApiError(Exception):
    """The pull could not be made; the message says why in plain words."""


def keys(env: Mapping[str, str] | None = None) -> tuple[str, str, str]:
    env = os.environ if env is None else env
    public, private, client = (env.get(f"XLBILLING_CW_{n}") for n in ("PUBLIC_KEY", "PRIVATE_KEY", "CLIENT_ID"))
    if not (public and private):
        try:
            import keyring

            public = public or keyring.get_password("xlbilling-connectwise", "public_key")
            private = private or keyring.get_password("xlbilling-connectwise", "private_key")
            client = client or keyring.get_password("xlbilling-connectwise", "client_id")
        except Exception:  # no keyring back end here: the environment is the way
            pass
    if not (public and private and client):
        raise ApiError("ConnectWise API keys are not set: set XLBILLING_CW_PUBLIC_KEY, XLBILLING_CW_PRIVATE_KEY and "
                       "XLBILLING_CW_CLIENT_ID (or store them in the OS keyring, service xlbilling-connectwise)")
    return public, private, client


class Client:
    def __init__(self, base_url: str, company: str, public: str, private: str, client_id: str,
                 sleep: Callable[[float], None] = time.sleep, timeout: float = 60):
        self.base = base_url.rstrip("/")
        token = base64.b64encode(f"{company}+{public}:{private}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "clientId": client_id, "Accept": "application/json"}
        self.sleep, self.timeout = sleep, timeout

    def _get(self, url: str) -> tuple[list, str | None]:
        for attempt in range(TRIES):
            request = urllib.request.Request(url, headers=self.headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    body = json.loads(response.read().decode("utf-8") or "[]")
                    return body, _next_link(response.headers.get("Link", ""))
            except urllib.error.HTTPError as exc:
                if exc.code in (401, 403):
                    raise ApiError(f"ConnectWise refused the API member ({exc.code}): the keys are wrong, or the "
                                   "API member lacks read access to this data (security role: Finance > "
                                   "Agreements, Time > Time Entry, Companies)") from None
                if exc.code == 404:
                    raise ApiError(f"ConnectWise has nothing at {url}: check the API URL (it ends in "
                                   "/v4_6_release/apis/3.0)") from None
                if exc.code != 429 and exc.code < 500 or attempt == TRIES - 1:
                    raise ApiError(f"ConnectWise answered {exc.code} for {url}") from None
                wait = exc.headers.get("Retry-After") if exc.headers else None
                self.sleep(float(wait) if wait and wait.replace(".", "", 1).isdigit() else 2.0 ** attempt)
            except urllib.error.URLError as exc:
                raise ApiError(f"could not reach ConnectWise at {self.base} ({exc.reason}): "
                               "check the API URL") from None
        raise ApiError(f"ConnectWise did not answer {url}")

    def all(self, path: str, conditions: str | None = None) -> list[dict]:
        query = {"pageSize": PAGE_SIZE, **({"conditions": conditions} if conditions else {})}
        url: str | None = f"{self.base}{path}?{urllib.parse.urlencode(query)}"
        records: list[dict] = []
        while url:
            page, url = self._get(url)
            records += page
        return records


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        m = re.match(r'\s*<([^>]+)>\s*;\s*rel="?next"?', part)
        if m:
            return m.group(1)
    return None


def pull(client: Client, start: date | None, end: date | None) -> dict[str, list[dict]]:
    """Companies, agreements with their additions and work types, and the time entries in [start, end)."""
    agreements = client.all("/finance/agreements")
    additions, worktypes = [], []
    for a in agreements:
        for record in client.all(f"/finance/agreements/{a['id']}/additions"):
            additions.append({**record, "agreementId": a["id"]})
        for kind in ("worktypes", "workroles"):
            for record in client.all(f"/finance/agreements/{a['id']}/{kind}"):
                worktypes.append({**record, "agreementId": a["id"]})
    conditions = " and ".join(c for c in (f"timeStart >= [{start}]" if start else "",
                                          f"timeStart < [{end}]" if end else "") if c) or None
    return {"companies": client.all("/company/companies"), "agreements": agreements, "additions": additions,
            "worktypes": worktypes, "time": client.all("/time/entries", conditions)}
