"""A workspace's shop connection (issue 16, item 2) is kept as the admin typed it: Slack sends
`&`, `<` and `>` of slash command text as `&amp;`, `&lt;`, `&gt;` (as it does message text)."""

from __future__ import annotations

from pathlib import Path

from db.uow import SqlUnitOfWork
from tests.clock import Clock
from tests.integration.desk_world import ADMIN, desk


def test_a_token_with_an_ampersand_is_kept_as_the_admin_typed_it(
    tmp_path: Path, database_url: str
) -> None:
    """The admin types `/escalation shop https://93.184.216.34/api/ k&y<1>`; Slack sends
    `k&amp;y&lt;1&gt;`. Kept escaped, every call to the shop carries a token the shop never
    issued: 401, `forbidden`, and every customer of the workspace is handed off."""
    with desk(tmp_path, Clock(), database_url=database_url) as world:
        answer = world.command(ADMIN, "shop https://93.184.216.34/api/ k&amp;y&lt;1&gt;")
        assert "with a token" in answer
        assert "k&" not in answer
        with SqlUnitOfWork(world.product.sessions) as uow:
            connection = uow.shops.get("T1")
        assert connection is not None
        assert connection.api_token == "k&y<1>"
