"""freegin-ai: a versioned, validated, reviewed catalog of free-tier AI models, kept in git."""

__version__ = "0.1.0"
