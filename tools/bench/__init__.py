"""What the frameworks cost on one database-backed API, measured three ways.

`make bench` (__main__.py) drives each app and a raw-SQL reference (reference.py) with wrk
(scenarios.lua) under two servers (servers.py) on one data set (dataset.py); report.py renders
build/bench.json for the README. `make profile` (profile.py) splits one request's CPU time by
ORM, serializer, framework, driver, server, JWT and app code.
"""
