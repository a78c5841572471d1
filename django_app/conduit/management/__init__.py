"""Management commands of the conduit app."""
