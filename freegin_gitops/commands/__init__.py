"""One module per command: parse nothing, call a service, render the result, return an exit code."""
