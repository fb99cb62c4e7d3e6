"""User documentation generated from the code: the man page from the CLI, the catalog reference
from the schemas. Regenerate both with ``python -m freegin_gitops.docs``."""
