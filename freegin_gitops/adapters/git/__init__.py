"""Git: catalog files at a ref and the work tree's state (``tree``), refresh branches built with
plumbing (``refs``), and committing exactly an edit's files (``commit``)."""
