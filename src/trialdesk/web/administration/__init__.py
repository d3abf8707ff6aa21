"""The sponsor administrator's pages (issue 20): sites, users, roles at sites, the
delegation-of-authority log with training records, and the admin's password reset."""
