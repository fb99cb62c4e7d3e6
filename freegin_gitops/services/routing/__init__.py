"""Routing: the router that calls candidates in order (``router``), wired to a catalog and the
usage database for one command (``session``), and usage figures for listings (``usage_stats``)."""
