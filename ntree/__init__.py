"""ntree: a market-replay practice field for discretionary traders and their bots."""

__version__ = "0.1.0"
