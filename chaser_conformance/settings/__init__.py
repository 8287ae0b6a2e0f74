"""One Settings object, resolved once: CLI > environment > config file > default.

Every setting is a field, a config-file key and an environment variable at once (`fields.FIELDS`),
and every resolved value remembers where it came from, so a usage error and the report header
can both name the source."""

from .fields import FIELDS, FIELDS_BY_NAME, Field, SettingsError, Source
from .resolve import CONFIG_CLI, CONFIG_ENV, CONFIG_FILE_NAME, EMBEDDED_CLI, Settings, resolve

__all__ = [
    "CONFIG_CLI",
    "CONFIG_ENV",
    "CONFIG_FILE_NAME",
    "EMBEDDED_CLI",
    "FIELDS",
    "FIELDS_BY_NAME",
    "Field",
    "Settings",
    "SettingsError",
    "Source",
    "resolve",
]
