"""GitHub: the pull-request REST API (``pulls``) and where a refresh's pull request goes
(``target``: API URL, repository and token from the environment and the origin URL)."""
