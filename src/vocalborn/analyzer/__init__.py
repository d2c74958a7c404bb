"""Speech analysis, a library: it imports nothing from the task domain (DESIGN §7).

- `types.py`                         the interface: `analyse(request, progress) -> AnalysisReport`
- `factory.py`                       which analyser a worker uses, from settings
- `offline.py`, `parts.py`           the built-in analyser and the report it assembles
- `audio.py`                         decoding with limits; `praat.py` pitch, intensity, voice
- `timing.py`, `rhythm.py`, `segment.py`  pauses, rates, rhythm, syllable segmentation
- `english.py`                       forced alignment and GOP (pocketsphinx)
- `mandarin.py`, `pinyin.py`, `tones.py`  characters, expected syllables, tone reading
- `listener.py`, `listener_model.py`, `hearing.py`, `compare.py`  the second listener (Whisper)
- `content.py`                       MFCC+DTW similarity to the reference
- `verdict.py`                       the one status rule; `scoring.py`, `constants.py` scores
- `feedback.py`                      suggestions in zh-TW and English
- `remote.py`, `breaker.py`          the remote AI-service client; `http_service.py` serves it
- `errors.py`                        the error classes it raises (the retry policy is analysis's)
"""
