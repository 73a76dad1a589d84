"""Scale-out on one PostgreSQL: two fronts started at the same moment (the schema is upgraded
once, under the migration's lock) that only ack, behind a load balancer that spreads
customers over them, and two `escalation-bot worker` processes that take every turn."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.serve_harness import (
    Customers,
    ServeProcess,
    WorkerProcess,
    configure_agents_channel,
    loopback_slack,
    serve_env,
    wait_for,
    writing,
)


@pytest.mark.parametrize("backend", ["postgresql"])  # several processes share one database
def test_two_fronts_and_two_workers_answer_every_customer_once(
    database_url: str, backend: str, tmp_path: Path
) -> None:
    slack = loopback_slack().start()
    env = serve_env(slack_url=slack.url, database_url=database_url)
    fronts = [ServeProcess(env, tmp_path, args=("--workers", "0")) for _ in range(2)]
    workers = [WorkerProcess(env, tmp_path) for _ in range(2)]
    try:
        starting = [threading.Thread(target=front.start) for front in fronts]
        for thread in starting:
            thread.start()
        for thread in starting:
            thread.join()
        for worker in workers:
            worker.start()
        configure_agents_channel(fronts[1].endpoint, slack)
        people = Customers(40)
        with writing(people, [front.endpoint for front in fronts]) as sends:
            assert all(send.result() for send in sends)
        tally, _ = wait_for(slack, people, seconds=120)
        assert tally.histogram() == {1: 40}
        assert tally.cards == people.asking_for_a_person
        for front in fronts:  # the fronts ran no turns: every reply came from a worker
            assert "of conversation" not in front.log.read_text()
    finally:
        for worker in workers:
            worker.stop()
        for front in fronts:
            front.stop()
        slack.stop()
