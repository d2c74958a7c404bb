from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.audio import tone_wav


@pytest.fixture(scope="session")
def wav_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tone_wav(tmp_path_factory.mktemp("audio") / "tone.wav", seconds=1.5)
