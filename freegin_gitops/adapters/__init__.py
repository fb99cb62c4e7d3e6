"""Adapters around the core: files, YAML, JSON Schema, SQLite, HTTP, git, GitHub."""
