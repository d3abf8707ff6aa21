"""The settings of the servers and commands the tests start (``live_server._env``): trialdesk's
own settings with a fast password hasher.

Hashing with the production Argon2 parameters costs about 0.2 s of CPU per password: every live
server's set-up creates 18 demo users and every sign-in checks one, hundreds of times a run on a
2-core machine. The in-process tests use the same fast hasher (``trial_factory.FAST_HASHERS``), and
``tests/web/test_web_pages.py`` checks that the real settings keep Argon2.
"""

from trialdesk.web.settings import *  # noqa: F403 (the real settings, one value changed)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
