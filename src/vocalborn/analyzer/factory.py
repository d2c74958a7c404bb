"""Choose the analyser a worker uses, from settings.

`ANALYZER=auto` (the default) means the remote AI service when `AI_SERVICE_URL` is set and the
built-in offline analyser otherwise. A `module:attr` path loads another implementation (tests use
this for analysers that sleep or fail on purpose); it is refused in production so a deployment
can never run on fake scores by accident.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from vocalborn.config import ConfigError

if TYPE_CHECKING:
    from vocalborn.analyzer.types import Analyser
    from vocalborn.config import Settings


def _load(path: str) -> object:
    module_name, _, attr = path.partition(":")
    if not attr:
        raise ConfigError(f"ANALYZER must be 'auto' or 'module:attribute', got {path!r}")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"ANALYZER {path!r} cannot be loaded: {exc}") from exc


def load_analyser(settings: Settings) -> Analyser:
    choice = settings.ANALYZER.strip()
    if choice == "auto":
        if settings.AI_SERVICE_URL:
            path = "vocalborn.analyzer.remote:RemoteAnalyser"
        else:
            path = "vocalborn.analyzer.offline:OfflineAnalyser"
    else:
        if settings.ENVIRONMENT == "production":
            raise ConfigError(
                "ANALYZER must be 'auto' in production (custom analysers are for tests and dev)."
            )
        path = choice
    factory = _load(path)
    analyser = factory(settings) if callable(factory) else factory
    return analyser  # type: ignore[return-value]
