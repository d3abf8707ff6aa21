"""Command-line groups of ``trialdesk``; each module exposes ``command`` (a click group)."""
