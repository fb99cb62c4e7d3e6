"""Catalog access: which repository (``repo``), where user files live (``paths``), loading and
checking files (``loading``, ``parse_cache``, ``validation``) and the compiled catalog
(``compiled_file`` for ``compile``, ``compiled_store`` for the router)."""
