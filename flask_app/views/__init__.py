"""HTTP handlers, one Blueprint per spec tag, all mounted under /api (but health)."""
