"""Reading a file someone shared in Slack: an admin's uploaded policy book.

`files.info` (files:read) says what the file is and where its bytes are; they are fetched from
its `url_private_download` with the bot's token as a bearer, as Slack asks. Slack answers a
download it cannot authorise with its sign-in page (HTML, status 200), not an error.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

import httpx2
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT = 10.0  # seconds; the admin waits for the answer
SHARE_IT = "share the file with me in our direct messages, copy its link and try again"


def fetch_shared_file(
    client: WebClient, file_id: str, *, user_id: str, max_bytes: int
) -> bytes | str:
    """The bytes of `file_id`, which `user_id` must have shared; else why not, for the admin."""
    try:
        about = client.files_info(file=file_id).get("file") or {}
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        if code == "missing_scope":
            return (
                "I may not read files (the app lacks files:read): reinstall it from manifest.yml."
            )
        if code in ("file_not_found", "file_deleted"):
            return f"I can't find that file: {SHARE_IT}."
        return f"Slack would not tell me about that file ({code or 'no answer'}): try again."
    except OSError as error:
        return f"Slack could not be reached ({type(error).__name__}): try again in a moment."
    owner = about.get("user")
    if owner != user_id:  # a file that names nobody as its sharer is not the admin's either
        return "That file was shared by someone else: upload your own copy, then try again."
    size = about.get("size")
    if isinstance(size, int) and size > max_bytes:
        return (
            f"The file is {size // 1024} KB; a policy book may be at most {max_bytes // 1024} KB."
        )
    url = about.get("url_private_download") or about.get("url_private")
    if not url:
        return f"Slack gave no way to download that file: {SHARE_IT}."
    slack = slack_file_origins(client.base_url)
    if _origin(str(url)) not in slack:
        log.warning("file %s: its download is not on Slack's file host; not fetched", file_id)
        return f"Slack gave a download address that is not Slack's: {SHARE_IT}."
    got = _download(str(url), token=client.token, max_bytes=max_bytes)
    if isinstance(got, Exception):
        log.warning("downloading file %s failed: %s", file_id, type(got).__name__)
        return f"I couldn't download that file ({type(got).__name__}): try again in a moment."
    kind, content = got
    if kind.startswith("text/html"):
        # files.slack.com's sign-in page: the bot's token may not read this file
        return f"Slack would not let me download that file: {SHARE_IT}."
    if len(content) > max_bytes:
        return f"The file is larger than {max_bytes // 1024} KB, the most a policy book may be."
    return content


def slack_file_origins(api_url: str) -> frozenset[tuple[str, str, int | None]]:
    """Where the bot's token may be sent for a file: Slack's own file host (files.slack.com
    for https://slack.com/api/) and the Web API's host (SLACK_API_URL, e.g. a loopback)."""
    api = _origin(api_url)
    return frozenset({api, (api[0], f"files.{api[1]}", api[2])})


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"https": 443, "http": 80}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def _download(url: str, *, token: str | None, max_bytes: int) -> tuple[str, bytes] | Exception:
    """The file's type and at most `max_bytes` + 1 of its bytes, within DOWNLOAD_TIMEOUT in all
    (a host sending a byte at a time is cut off). httpx drops the bearer on a redirect to
    another origin, so the token stays with Slack's file host."""
    deadline = time.monotonic() + DOWNLOAD_TIMEOUT
    content = bytearray()
    try:
        with (
            httpx2.Client(timeout=DOWNLOAD_TIMEOUT, follow_redirects=True) as http,
            http.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as response,
        ):
            response.raise_for_status()
            for chunk in response.iter_bytes():
                content += chunk
                if len(content) > max_bytes:
                    break
                if time.monotonic() > deadline:
                    return TimeoutError("the download took too long")
            return str(response.headers.get("Content-Type") or ""), bytes(content)
    except httpx2.HTTPError as error:
        return error
