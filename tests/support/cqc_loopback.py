"""A loopback CQC API v1 for tests: the 451 real Oldham location and 20 provider documents, served
in the API's own paths and paging shape, with faults that can be switched on per path.

    GET /public/v1/locations?page=N&perPage=P&localAuthority=Oldham    paged list, as locations.json
    GET /public/v1/locations/{locationId}                              the document, bytes unchanged
    GET /public/v1/providers[...], /providers/{providerId}             the same for providers
    GET /public/v1/changes/location|provider?startTimestamp=...&endTimestamp=... ids set by the test

The list pages are cut from the real `locations.json` (whose single page says `perPage: 1000`) into
pages of whatever `perPage` the client asks for, with the real file's paging fields
(`total`, `page`, `perPage`, `totalPages`, `firstPageUri`, `previousPageUri`, `nextPageUri`,
`lastPageUri`; URIs relative to the API root, as CQC writes them).
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

from dagster_project.settings import SAMPLES_DIR

OLDHAM = SAMPLES_DIR / "ratings" / "cqc_api_oldham_2025-03"
ROOT = "/public/v1"


class Fault:
    """One canned answer served instead of the real one."""

    def __init__(self, status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}


class CqcLoopbackApi:
    def __init__(self, folder: Path = OLDHAM, api_key: str | None = None) -> None:
        self.folder = Path(folder)
        self.api_key = api_key
        self.lists = {
            "locations": json.loads((self.folder / "locations.json").read_bytes())["locations"],
            "providers": json.loads((self.folder / "providers.json").read_bytes())["providers"],
        }
        self.documents: dict[tuple[str, str], bytes] = {}
        for entity, singular in (("locations", "location"), ("providers", "provider")):
            for path in (self.folder / f"{singular}_details").glob("*.json"):
                self.documents[(entity, path.stem.split("_", 1)[1])] = path.read_bytes()
        self.changes: list[str] = []  # /changes/location
        self.provider_changes: list[str] = []  # /changes/provider
        self.faults: dict[str, list[Fault]] = defaultdict(list)  # path -> answers served first, in order
        self.log: list[tuple[str, int, dict]] = []  # (path with query, status, request headers)
        self._server: ThreadingHTTPServer | None = None

    # -- test controls ---------------------------------------------------------------------

    def fail(self, path: str, *faults: Fault) -> None:
        """Serve `faults` (in order) to the next requests of `path` (e.g. `/locations/RM317`)."""
        self.faults[path].extend(faults)

    def set_document(self, entity: str, identifier: str, document: dict | bytes) -> None:
        self.documents[(entity, identifier)] = document if isinstance(document, bytes) else json.dumps(document).encode()

    def document(self, entity: str, identifier: str) -> dict:
        return json.loads(self.documents[(entity, identifier)])

    def rerate_royal_oldham(self) -> None:
        """A later capture's Royal Oldham (RM317): Good overall in a report of 15 May 2025 (it was
        Requires improvement), and no maternity rating any more."""
        hospital = self.document("locations", "RM317")
        hospital["currentRatings"]["overall"].update(rating="Good", reportDate="2025-05-15")
        hospital["currentRatings"]["serviceRatings"] = [
            s for s in hospital["currentRatings"]["serviceRatings"] if s["name"] != "npimaternity"
        ]
        self.set_document("locations", "RM317", hospital)

    def requests_to(self, path: str) -> list[int]:
        return [status for logged, status, _ in self.log if urlparse(logged).path == ROOT + path]

    # -- server ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{ROOT}"

    def __enter__(self) -> "CqcLoopbackApi":
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                status, body, headers = api._answer(self.path, dict(self.headers))
                api.log.append((self.path, status, dict(self.headers)))
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- the API ---------------------------------------------------------------------------

    def _answer(self, raw_path: str, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        url = urlparse(raw_path)
        if not url.path.startswith(ROOT + "/"):
            return 404, b'{"message": "not found"}', {}
        path = url.path[len(ROOT) :]
        if self.api_key is not None and headers.get("Ocp-Apim-Subscription-Key") != self.api_key:
            return 401, b'{"statusCode": 401, "message": "Access denied due to missing subscription key."}', {}
        if self.faults.get(path):
            fault = self.faults[path].pop(0)
            return fault.status, fault.body, fault.headers
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = path.strip("/").split("/")
        if len(parts) == 1 and parts[0] in self.lists:
            return 200, self._page(parts[0], self.lists[parts[0]], query), {}
        if len(parts) == 2 and parts[0] == "changes" and parts[1] in ("location", "provider"):
            changed = self.changes if parts[1] == "location" else self.provider_changes
            return 200, self._page(f"changes/{parts[1]}", changed, query, items_key="changes"), {}
        if len(parts) == 2 and (parts[0], parts[1]) in self.documents:
            return 200, self.documents[(parts[0], parts[1])], {}
        return 404, json.dumps({"message": f"{path} not found"}).encode(), {}

    def _page(self, path: str, items: list, query: dict[str, str], items_key: str | None = None) -> bytes:
        per_page = int(query.get("perPage", 1000))
        page = int(query.get("page", 1))
        total_pages = max(1, -(-len(items) // per_page))
        others = {k: v for k, v in query.items() if k not in ("page", "perPage")}

        def uri(n: int | None) -> str | None:
            if n is None or n < 1 or n > total_pages:
                return None
            return f"/{path}?" + urlencode({"page": n, "perPage": per_page, **others})

        body = {
            "total": len(items),
            "firstPageUri": uri(1),
            "page": page,
            "previousPageUri": uri(page - 1),
            "lastPageUri": uri(total_pages),
            "nextPageUri": uri(page + 1),
            "perPage": per_page,
            "totalPages": total_pages,
            items_key or path: items[(page - 1) * per_page : page * per_page],
        }
        return json.dumps(body, indent=4).encode()
