"""``refresh-models``: ask, verify and edit in memory (``plan``), put the result on its branch
and pull request (``publish``), and the whole run for the command (``run``)."""
