"""What every test layer shares: paths, the embedded AWS, the test world, the agent package, fixtures.

Imported as `tests.support.<module>`: pytest puts the repository root on sys.path (tests/ is a package), and
the scripts here run as `python -m tests.support.<module>` from the repository root.
"""
