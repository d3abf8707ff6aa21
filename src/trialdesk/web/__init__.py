"""Django web application of trialdesk (trial server, public registry)."""
