"""trialdesk: run a randomized, blinded clinical trial end to end."""

__version__ = "0.1.0"
