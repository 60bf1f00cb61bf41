"""Infrastructure apart from the domain: database and migrations, configuration, backup, the event log,
row loading, the session cache of who is asking, text-file decoding."""
