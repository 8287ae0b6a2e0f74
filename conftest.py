# Thin on purpose: everything lives in the package's pytest plugin.
pytest_plugins = ["chaser_conformance.plugin"]
