"""Thin Slack listeners (payload -> call -> reply)."""
