"""``python -m freegin_gitops``: the same as the ``freegin-ai`` command."""

from freegin_gitops.cli.main import main

main()
