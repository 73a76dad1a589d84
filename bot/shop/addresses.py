"""Where a workspace's own shop (`/escalation shop <url>`) may be: a public address only.

A workspace's admins are not the bot's operator: a shop URL of theirs must not turn the bot's
HTTP client on the operator's own network (127.0.0.1, 10.0.0.0/8, the cloud's metadata service
at 169.254.169.254 ...). The address is checked when the shop is set and again before every
request (a name can be pointed elsewhere after it was set). The operator's own shop
(SHOP_API_URL) is trusted and not checked; SHOP_PRIVATE_ADDRESSES=allow lets workspaces use
private addresses too (a shop on the operator's own network, tests).
"""

from __future__ import annotations

import ipaddress
import socket

import httpx2


def private_address_problem(host: str, port: int | None = None) -> str | None:
    """Why `host` cannot be a workspace's shop: it is (or resolves to) an address that is not
    on the public internet, or it resolves to nothing; None when every address is public."""
    try:
        resolved = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return f"`{host}` could not be found (DNS)."
    for *_, address in resolved:
        ip = ipaddress.ip_address(str(address[0]).split("%", 1)[0])
        mapped = getattr(ip, "ipv4_mapped", None)
        if not (mapped or ip).is_global:
            return (
                f"`{host}` is a private or local address ({ip}): a workspace's shop must be "
                "reachable on the public internet."
            )
    return None


class PublicAddressesOnly(httpx2.BaseTransport):
    """httpx2's own transport, refusing a request whose host is not public (checked just
    before each request; the name's answer can change after the shop was set)."""

    def __init__(self, transport: httpx2.BaseTransport | None = None) -> None:
        self.transport = transport or httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        problem = private_address_problem(request.url.host, request.url.port)
        if problem is not None:
            raise httpx2.ConnectError(f"refused: {problem}", request=request)
        return self.transport.handle_request(request)

    def close(self) -> None:
        self.transport.close()
