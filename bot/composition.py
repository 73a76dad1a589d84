"""The composition root: builds the product's parts from settings, in one place."""

from __future__ import annotations

import logging

import anthropic

from bot.agents.base import Agent
from bot.agents.claude import DEFAULT_MODEL, ClaudeAgent
from bot.agents.offline import OfflineAgent
from bot.settings import Settings
from escalation.policy import PolicyBook

log = logging.getLogger(__name__)


class AgentUnavailable(RuntimeError):
    """The agent asked for cannot be built with these settings."""


def build_agent(settings: Settings, book: PolicyBook, *, kind: str | None = None) -> Agent:
    """Claude when a key is set (the offline agent as its fallback), else the offline agent.

    `kind` forces one: "offline", or "claude" (which then needs ANTHROPIC_API_KEY).
    """
    offline = OfflineAgent()
    wants_claude = kind == "claude" or (kind is None and settings.anthropic_api_key)
    if not wants_claude:
        if kind is None:
            log.info("no ANTHROPIC_API_KEY set: the offline agent answers customers")
        return offline
    if not settings.anthropic_api_key:
        raise AgentUnavailable("the Claude agent needs ANTHROPIC_API_KEY")
    client = anthropic.Anthropic(
        api_key=settings.anthropic_api_key,
        base_url=settings.anthropic_base_url or None,
        timeout=60.0,  # a turn must end well within the inbox lease (bot/workers.py)
        max_retries=2,
    )
    return ClaudeAgent(
        client=client,
        book=book,
        fallback=offline,
        model=settings.anthropic_model or DEFAULT_MODEL,
    )
