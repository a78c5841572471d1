"""The app's own tests, run by Django's runner on a test database built by the real migrations."""
