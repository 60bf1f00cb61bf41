"""Lifecycle services: each one transaction that checks the actor and the state and writes the event log."""
