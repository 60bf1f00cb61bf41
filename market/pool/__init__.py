"""The pool (公物池): listings of warehouse stock and units' idle items, and its search projection."""
