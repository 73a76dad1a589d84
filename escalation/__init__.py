"""Pure escalation decision core: standard library only, no I/O."""
