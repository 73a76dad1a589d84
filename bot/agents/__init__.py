"""The agents that work a customer's turn: Claude (anthropic SDK) and the offline agent."""
