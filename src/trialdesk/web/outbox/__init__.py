"""E-mail notifications as retried background tasks, and the administrator's page of those that
keep failing (issue 20)."""
