"""The running product: settings, composition root, agents, loaders, CLI."""
