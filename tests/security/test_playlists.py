"""Playlists (issue 13): left to probe, FFmpeg opens an HLS playlist (.m3u8) and decodes the files
it names, e.g. another learner's stored recording. The API upload, `decode_audio` (worker and AI
service) and the AI service endpoint open audio only with an allow-list of audio demuxers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.audio import encode, tone_wav
from tests.support.served import serve
from vocalborn.analyzer.audio import decode_audio
from vocalborn.analyzer.errors import AudioFileError
from vocalborn.analyzer.http_service import create_ai_service_app
from vocalborn.analyzer.offline import OfflineAnalyser
from vocalborn.analyzer.remote import API_KEY_HEADER, RemoteAnalyser
from vocalborn.analyzer.types import AnalysisRequest
from vocalborn.config import Settings

ON_POSTGRESQL = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

KEY = "test-key-0123456789"
SEGMENTS = ("wav", "flac", "mp3")


def playlist(path: Path, segment: Path) -> Path:
    path.write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
        f"#EXTINF:1.5,\n{segment}\n#EXT-X-ENDLIST\n"
    )
    return path


@pytest.fixture(scope="module")
def victims(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Another learner's stored recordings, in the formats the storage holds."""
    tmp = tmp_path_factory.mktemp("victim")
    wav = tone_wav(tmp / "source.wav", seconds=1.5)
    return {fmt: encode(wav, fmt, tmp / f"other.{fmt}") for fmt in SEGMENTS}


@pytest.mark.parametrize("segment", SEGMENTS)
def test_decode_audio_refuses_a_playlist(
    victims: dict[str, Path], tmp_path: Path, segment: str
) -> None:
    path = playlist(tmp_path / "p.m3u8", victims[segment])
    if segment != "wav":  # FFmpeg 8 itself refuses .wav segments (extension check)
        with av.open(str(path)) as container:  # the threat: FFmpeg alone reads the other file
            assert container.format.name == "hls"
            assert sum(f.samples for f in container.decode(audio=0)) > 0
    with pytest.raises(AudioFileError) as info:
        decode_audio(path, 300, 10**8)
    assert info.value.message.startswith("the file is not audio in an accepted format")


@pytest.mark.parametrize("disguise", [b"", b"ID3\x04\x00\x00\x00\x00\x00\x00"])
@ON_POSTGRESQL
def test_upload_of_a_playlist_is_refused(
    client: TestClient,
    recording_slot,
    victims: dict[str, Path],
    settings: Settings,
    tmp_path: Path,
    disguise: bytes,
) -> None:
    """Plain, it is not audio (415); behind an ID3 tag it sniffs as mp3 and is opened with the
    mp3 demuxer only, never as a playlist: no audio in it (422)."""
    learner, _, _, _, url = recording_slot
    body = disguise + playlist(tmp_path / "p.m3u8", victims["flac"]).read_bytes()
    resp = client.put(url, headers=learner.headers, files={"file": ("p.m3u8", body)})
    expected = (422, "corrupt_audio") if disguise else (415, "unsupported_audio_format")
    assert (resp.status_code, resp.json()["error"]["code"]) == expected, resp.text
    root = settings.storage_dir
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]


def _settings(url: str) -> Settings:
    return Settings(
        _env_file=None,
        ENVIRONMENT="test",
        SECRET_KEY=None,
        AI_SERVICE_URL=url,
        AI_SERVICE_API_KEY=KEY,
        AI_SERVICE_CONNECT_TIMEOUT=2.0,
        AI_SERVICE_READ_TIMEOUT=60.0,
    )


@pytest.fixture(scope="module")
def service_url() -> Iterator[str]:
    """The real AI service (without the second listener, which is not needed here)."""
    settings = _settings("http://unused")
    app = create_ai_service_app(settings, OfflineAnalyser(settings, listen=False))
    with serve(app, log_level="warning") as port:
        yield f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("name", ["p.m3u8", "p.flac", "p"])
def test_ai_service_refuses_a_playlist(
    service_url: str, victims: dict[str, Path], tmp_path: Path, name: str
) -> None:
    path = playlist(tmp_path / "p.m3u8", victims["flac"])
    with path.open("rb") as fh:
        resp = httpx.post(
            f"{service_url}/v1/analyse",
            headers={API_KEY_HEADER: KEY},
            data={"text": "hello", "language": "en"},
            files={"audio": (name, fh, "application/vnd.apple.mpegurl")},
            timeout=60,
        )
    # Read as a playlist, the other learner's 1.5 s tone would have been analysed (200).
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["error_type"] == "file"
    if name != "p.flac":  # named .flac, FFmpeg tries it as FLAC and finds no audio in it
        assert error["message"].startswith("the file is not audio in an accepted format")


def test_remote_client_gets_a_file_error_for_a_playlist(
    service_url: str, victims: dict[str, Path], tmp_path: Path
) -> None:
    path = playlist(tmp_path / "p.m3u8", victims["mp3"])
    client = RemoteAnalyser(_settings(service_url))
    with pytest.raises(AudioFileError, match="not audio in an accepted format"):
        client.analyse(AnalysisRequest(path, "hello", "en"), lambda _s, _f: None)
