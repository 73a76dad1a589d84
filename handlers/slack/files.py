"""Reading a file someone shared in Slack: an admin's uploaded policy book.

`files.info` (files:read) says what the file is and where its bytes are; they are fetched from
its `url_private_download` with the bot's token as a bearer, as Slack asks. Slack answers a
download it cannot authorise with its sign-in page (HTML, status 200), not an error.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request

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
    if owner and owner != user_id:
        return "That file was shared by someone else: upload your own copy, then try again."
    size = about.get("size")
    if isinstance(size, int) and size > max_bytes:
        return (
            f"The file is {size // 1024} KB; a policy book may be at most {max_bytes // 1024} KB."
        )
    url = about.get("url_private_download") or about.get("url_private")
    if not url:
        return f"Slack gave no way to download that file: {SHARE_IT}."
    request = urllib.request.Request(str(url), headers={"Authorization": f"Bearer {client.token}"})
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
            kind = str(response.headers.get("Content-Type") or "")
            content: bytes = response.read(max_bytes + 1)
    except (urllib.error.URLError, OSError) as error:
        log.warning("downloading file %s failed: %s", file_id, type(error).__name__)
        return f"I couldn't download that file ({type(error).__name__}): try again in a moment."
    if kind.startswith("text/html"):
        # files.slack.com's sign-in page: the bot's token may not read this file
        return f"Slack would not let me download that file: {SHARE_IT}."
    if len(content) > max_bytes:
        return f"The file is larger than {max_bytes // 1024} KB, the most a policy book may be."
    return content
