"""Every constant that turns a measurement into a score, with where it comes from.

Scores are 0..100. A constant marked "calibrated" was set on this repository's known-answer
recordings (espeak-ng speech, pocketsphinx-testdata read speech; see tests/analyzer) so that
unmodified speech lands high and the modified versions (substituted words, inserted pauses,
time-stretch, wrong tones) land clearly lower. Change one here and the tests say what moved.
"""

from __future__ import annotations

ANALYSER_VERSION = "vocalborn-offline-1.0"
SAMPLE_RATE = 16000

# --- Praat front end -------------------------------------------------------------------------
# Pitch search range of the first, wide pass (praat._speaker_pitch narrows it to the speaker):
# 500 Hz covers children (speech-therapy clients); the floor is 50 Hz, not Praat's usual 75,
# because low adult voices dip to 64-70 Hz (espeak-ng's m1/m3 Mandarin voices at their 5th
# percentile, on sentences the tests do not use): with a fixed 75 Hz floor Praat lost half of
# their voiced frames and jumped an octave, so every tone read as a third tone.
PITCH_FLOOR_HZ = 50.0
PITCH_CEILING_HZ = 500.0
PITCH_TIME_STEP = 0.01
# Voiced frames of the wide pass needed to narrow the range to the speaker's (0.2 s).
SPEAKER_PITCH_MIN_FRAMES = 20
# de Jong & Wempe (2009) script defaults: silence threshold 25 dB below the 0.99 quantile of
# intensity, minimum dip between peaks 2 dB, minimum pause 0.3 s.
DEJONG_SILENCE_DB = -25.0
DEJONG_MIN_DIP_DB = 2.0
MIN_PAUSE_S = 0.3
MIN_SOUNDING_S = 0.1
# A recording whose loudest 1 % of frames stays below this (Praat dB, where full scale is about
# 91 dB) holds no speech: -50 dBFS, the level of a quiet room through a phone microphone.
SILENCE_MAX_DB = 41.0
# Less voiced time than this means nothing was said (a cough, a click).
MIN_VOICED_S = 0.12
# Share of samples at full scale above which jitter/shimmer/HNR/CPPS are not reported.
CLIPPING_RATIO_LIMIT = 0.005
# Monotone: F0 standard deviation below 2 semitones over an utterance (Rosenberg & Hirschberg
# and clinical practice treat < 2 ST as flat; typical read speech is 2.5-4.5 ST).
MONOTONE_SD_ST = 2.0
# Points in the F0 contour shipped to the web page.
CONTOUR_MAX_POINTS = 200

# --- English pronunciation (GOP, Witt & Young 2000) -------------------------------------------
# GOP = (forced-alignment score - free phone-loop score) / frames, in pocketsphinx acoustic
# score units per 10 ms frame (0 = the expected phone is the best phone). Calibrated: correct
# espeak-ng/LibriVox phones sit between -30 and +10, substituted words below -50.
GOP_CENTRE = -45.0
GOP_SCALE = 12.0
# A word scoring below this is "mispronounced".
WORD_OK_SCORE = 50.0
# pocketsphinx phones last at least 3 frames (3-state HMMs); a word squeezed to within
# one frame per phone of that minimum and scoring badly was not said ("missing").
MIN_FRAMES_PER_PHONE = 3
MISSING_WORD_SCORE = 35.0
# Inter-word silence in the alignment where the phone loop hears this much non-silence phone
# time is an inserted (extra) word.
EXTRA_SPEECH_MIN_S = 0.15
# Wide beams so that alignment of a badly matching utterance still finishes (the default
# 1e-48 beam fails on a substituted word and leaves no alignment at all).
ALIGN_BEAM = 1e-200

# --- Mandarin tones ---------------------------------------------------------------------------
# Chao tone letters (1 = bottom, 5 = top of the speaker's range), 5 points across the syllable.
# T3 has its citation form (214) and the half-third (21) used before a non-third tone.
TONE_TEMPLATES: dict[str, tuple[float, ...]] = {
    "1": (5.0, 5.0, 5.0, 5.0, 5.0),
    "2": (3.0, 3.0, 3.5, 4.2, 5.0),
    "3": (2.0, 1.4, 1.0, 1.0, 1.2),
    "3c": (2.0, 1.3, 1.0, 2.5, 4.0),
    "4": (5.0, 4.6, 3.6, 2.3, 1.0),
}
# Softmax temperature (Chao-letter RMS distance) for the probability of the expected tone.
TONE_TEMPERATURE = 0.6
# Speaker range (5th..95th percentile of F0) below this is stretched to it, so a narrow-range
# speaker's small movements are not read as full tone movements (in semitones).
MIN_SPEAKER_RANGE_ST = 6.0
# A syllable is "wrong_tone" when the expected tone's probability is below this.
TONE_OK_PROB = 0.35
# Per-syllable contour distance to the reference speaker's same syllable (RMS semitones after
# removing each speaker's median) that counts as the same tone shape; calibrated on espeak-ng.
TONE_REF_MATCH_ST = 1.5
# Content match (MFCC + DTW path cost relative to chance, see content.py): calibrated on
# espeak-ng: the same sentence by the same voice 0.07-0.2, by another voice 0.62-0.64; another
# sentence 0.86-0.89; two of eight syllables changed 0.46. Match is 100 at LOW, 0 at HIGH.
CONTENT_DTW_LOW = 0.65
CONTENT_DTW_HIGH = 0.85
# Below this content match the recording is flagged as a different sentence.
CONTENT_MATCH_MIN = 50.0

# --- Fluency ---------------------------------------------------------------------------------
# Norm bands used when there is no reference recording (articulation rate, syllables/s):
# English read speech 3.3-5.9 (de Jong & Wempe 2009 report 3.3-5.9 for L2 and native read
# speech); Mandarin read speech 3.5-6.0 (Chen 2015, Taiwan Mandarin corpus averages 4.6-5.6).
NORM_ARTICULATION_RATE = {"en": (3.3, 5.9), "zh-TW": (3.5, 6.0)}
# Share of time phonating in fluent read speech (de Jong & Wempe: 0.7-0.9).
NORM_PHONATION_RATIO = 0.70
# Score lost per octave-equivalent of rate mismatch: |ln(rate / target)| * RATE_PENALTY.
# ln(1.5) * 120 = 49 points for speaking 1.5x too fast or too slow.
RATE_PENALTY = 120.0
# Points lost per pause (>= 0.3 s) beyond the reference's (or beyond 1 per 8 syllables without
# a reference), and per second of pause time beyond it.
PAUSE_PENALTY = 12.0
PAUSE_TIME_PENALTY = 25.0
NORM_SYLLABLES_PER_PAUSE = 8.0
FLUENCY_WEIGHTS = {"rate": 0.45, "pauses": 0.35, "phonation": 0.20}

# --- Rhythm ----------------------------------------------------------------------------------
# Norm bands without a reference (no penalty inside the band): English nPVI-V 45-70, VarcoV
# 40-70, %V 35-50 (Grabe & Low 2002; White & Mattys 2007 report L1/L2 English in these ranges).
# Mandarin syllable-duration nPVI and Varco: 8-45; syllable timing is even (Lin & Wang 2007 put
# Mandarin at the syllable-timed end) and read sentences from one segmenter vary little.
NORM_RHYTHM: dict[str, dict[str, tuple[float, float]]] = {
    "en": {"npvi_v": (45.0, 70.0), "varco_v": (40.0, 70.0), "percent_v": (35.0, 50.0)},
    "zh-TW": {"npvi_syllable": (8.0, 45.0), "varco_syllable": (8.0, 45.0)},
}
# Pairwise variability needs enough intervals to mean anything: below these counts rhythm is
# not assessed (Grabe & Low computed nPVI over whole passages; a 3-word phrase gives noise).
MIN_RHYTHM_VOWELS = 6
MIN_RHYTHM_SYLLABLES = 4
# Difference on each metric that costs 100 points (the spread between clearly stress-timed and
# clearly syllable-timed speakers in Grabe & Low: ~40 nPVI units, ~15 %V points).
RHYTHM_SCALE = {
    "npvi_v": 40.0,
    "varco_v": 40.0,
    "percent_v": 15.0,
    "npvi_syllable": 40.0,
    "varco_syllable": 40.0,
}

# --- Overall ---------------------------------------------------------------------------------
# Base weights; the weakest assessed sub-score's weight is multiplied by WEAKEST_BOOST so one
# poor area is not hidden by two good ones.
OVERALL_WEIGHTS = {"pronunciation_accuracy": 0.5, "fluency_score": 0.3, "rhythm_score": 0.2}
WEAKEST_BOOST = 2.0

# --- Second listener (Whisper base, see listener.py) -----------------------------------------
# Around the VAD's speech span, and silence after it (a context that ends mid-word makes
# Whisper repeat itself; 1 s of tail was enough on pocketsphinx-testdata and espeak-ng speech).
LISTENER_MARGIN_S = 0.2
# Pauses inside the speech are shortened to this for the listener (Whisper without timestamps
# takes a long pause for the end of the utterance and stops there).
LISTENER_MAX_GAP_S = 0.3
LISTENER_TAIL_S = 1.0
# Token cap: Whisper's byte-level BPE spends up to ~3 tokens on a Traditional character and
# 1-2 on an English word; the cap only stops loops, it never shortens a real transcript.
LISTENER_TOKENS_PER_UNIT = 3
LISTENER_TOKEN_SLACK = 8
# faster-whisper's own defaults for a decode that is not speech or that loops.
LISTENER_NO_SPEECH_PROB = 0.6
LISTENER_MIN_LOGPROB = -1.0
LISTENER_MAX_COMPRESSION = 2.4
# A transcript with more words/characters than this many times the sentence is invented.
LISTENER_MAX_LENGTH_RATIO = 2.0
# A decode that looped on a fragment shorter than this share of the sentence is rejected (a
# whole sentence said twice is cut to once and kept).
LISTENER_MIN_LOOP_SHARE = 0.5
