"""The layer every app of the trial server builds on, and which imports no app.

Who is acting and what their role allows (``actor``), the write transaction and the ``@action``
decorator every writer uses (``actions``), the hash-chained audit trail (``audit``), the database
lock (``locks``), the errors views turn into responses (``errors``), the page decorator
(``pages``) and the protocol the server runs (``protocol``).
"""
