"""The pure core: plain data and functions, no files, network, git or clock."""
