"""Starlette app: pages in Simplified Chinese and the JSON API."""
