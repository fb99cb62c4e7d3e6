"""Services wire adapters to the core for the commands."""
