"""Catalog edits: adopt, retire, reject and deprecate (``actions``), a refresh's outcome
(``refresh_outcome``), both as functions over file contents with no I/O, and applying an edit to
a working tree (``session``).

Each action takes the catalog as a mapping of repository-relative path to bytes and returns an
:class:`~freegin_gitops.services.edits.workspace.EditResult` holding the new bytes of the files it
changed, already validated as part of the whole catalog. Writing them is
:mod:`freegin_gitops.services.edits.session`'s job.
"""

from freegin_gitops.services.edits.actions import adopt, deprecate, reject, retire
from freegin_gitops.services.edits.workspace import EditResult

__all__ = ["EditResult", "adopt", "deprecate", "reject", "retire"]
