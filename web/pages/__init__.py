"""HTML pages in Simplified Chinese, one module per area of work."""
