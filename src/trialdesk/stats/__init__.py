"""Statistical methods of trialdesk: trial design, analyses and monitoring."""
