"""One POST of a webhook: to the address the URL check resolved (not a second lookup an attacker's
DNS could answer differently), TLS verified against the URL's host name, 10 s in all, no redirects."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.webhooks.urls import Target

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: no HTTP answer (refused, timed out, TLS failed)
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(target: Target, headers: dict[str, str], body: str) -> Outcome:
    import urllib3  # imported by the delivery function only

    timeout = urllib3.Timeout(total=TIMEOUT_SECONDS)
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            retries=False,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
        )
    else:  # the local stack's http://127.0.0.1 only (urls.check)
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout, retries=False)
    host = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    try:
        with pool:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body.encode(),
                headers={**headers, "host": host},
                redirect=False,
                preload_content=False,
                assert_same_host=False,
            )
            response.drain_conn()
            return Outcome(response.status, None if 200 <= response.status < 300 else f"HTTP {response.status}")
    except urllib3.exceptions.HTTPError as exc:
        return Outcome(None, type(exc).__name__ + ": " + str(exc)[:300])
