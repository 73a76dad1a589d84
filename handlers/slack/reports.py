"""A report's chart shared in a Slack channel or direct message (`files_upload_v2`), with its
figures as the message: the one upload `/escalation report` (to the admin) and the weekly
report (to its channel) both use. Slack's refusals become `ChartNotShared`."""

from __future__ import annotations

from urllib.error import HTTPError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.desk.report import ChartNotShared
from handlers.slack.sender import MAYBE_DONE, NEEDS_AN_ADMIN

# The call that shares the file: an error answered by it may come after the share was made.
SHARE_METHOD = "files.completeUploadExternal"


def upload_chart(client: WebClient, *, channel: str, png: bytes, text: str, days: int) -> None:
    """Share the chart in `channel` with `text` as its message. `client` must not retry by
    itself (`make_posting_client`): a share answered 500 may have been made.

    `files_upload_v2`'s three steps, made one by one with slack_sdk's own calls, so a failure
    is known by its step: only one in the share itself (files.completeUploadExternal) or after
    it may have shared the chart; one before it (asking for the upload URL, sending the bytes)
    shared nothing and may be tried again."""
    step = "files.getUploadURLExternal"
    try:
        url = client.files_getUploadURLExternal(
            filename=f"escalation-report-{days}d.png",
            length=len(png),
            alt_txt=f"Escalations per day by trigger and median time to claim, last {days} days",
        )
        step = "upload"  # the bytes' own POST to the upload URL
        sent = client._upload_file(  # files_upload_v2's step 2, as it makes it
            url=str(url["upload_url"]),
            data=png,
            logger=client._logger,
            timeout=client.timeout,
            proxy=client.proxy,
            ssl=client.ssl,
        )
        if sent.status != 200:
            raise ChartNotShared(
                f"the upload to Slack failed (HTTP {sent.status})", retry_may_help=True
            )
        step = SHARE_METHOD
        client.files_completeUploadExternal(
            files=[{"id": str(url["file_id"]), "title": f"Escalations, last {days} days"}],
            channel_id=channel,
            initial_comment=text,
        )
    except SlackApiError as error:
        raise _refused(error) from error
    except HTTPError as error:
        if step == SHARE_METHOD:
            raise ChartNotShared(
                f"Slack did not confirm the chart (HTTP {error.code})", maybe_shared=True
            ) from error
        raise ChartNotShared(  # before the share: nothing shared yet
            f"the upload to Slack failed (HTTP {error.code})", retry_may_help=True
        ) from error
    except OSError as error:  # the network: refused, timed out, or lost on a call
        refused = isinstance(error, ConnectionRefusedError) or isinstance(
            getattr(error, "reason", None), ConnectionRefusedError
        )
        raise ChartNotShared(
            f"Slack could not be reached ({type(error).__name__})",
            maybe_shared=step == SHARE_METHOD and not refused,
            retry_may_help=True,
        ) from error
    except SlackClientError as error:
        raise ChartNotShared(
            f"Slack answered {error_code(error) or type(error).__name__}"
        ) from error


def _refused(error: SlackApiError) -> ChartNotShared:
    code = error_code(error)
    status = error.response.status_code if error.response is not None else 200
    sharing = error.response is not None and str(error.response.api_url).endswith(SHARE_METHOD)
    failing = status >= 500 or code in MAYBE_DONE
    if failing and sharing:
        return ChartNotShared(
            f"Slack did not confirm the chart (HTTP {status}, {code or 'no answer'})",
            maybe_shared=True,
        )
    if failing or status == 429 or code == "ratelimited":
        return ChartNotShared(
            f"Slack answered HTTP {status} ({code or 'no answer'})", retry_may_help=True
        )
    if code in NEEDS_AN_ADMIN:
        return ChartNotShared(NEEDS_AN_ADMIN[code])
    return ChartNotShared(slack_refusal(error, "files:write"))


def slack_refusal(error: SlackApiError, scope: str) -> str:
    """A refusal as an admin can act on it: a missing scope names the one Slack says is
    needed (`needed`), else `scope`, the one the call is known to need."""
    code = error_code(error)
    if code == "missing_scope":
        needed = str(error.response.get("needed") or scope) if error.response else scope
        return f"the app lacks the {needed} permission: reinstall it from manifest.yml"
    return f"Slack answered {code or 'with an error'}"


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    return str(response.get("error") or "") if response is not None else ""


class SlackChartUploader:
    """The weekly report's `ChartUploader` for Slack (give it `make_posting_client`'s client,
    which never retries by itself)."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def upload(self, *, channel: str, png: bytes, text: str, days: int) -> None:
        upload_chart(self.client, channel=channel, png=png, text=text, days=days)
