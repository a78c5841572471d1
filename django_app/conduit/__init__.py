"""The Conduit app: users, profiles, articles, comments, favorites and tags."""
