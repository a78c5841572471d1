"""Conduit (RealWorld API) as a Django project: settings, URLs and the one app `conduit`."""
