"""Commands that read the log: log, show, verify, repair."""
