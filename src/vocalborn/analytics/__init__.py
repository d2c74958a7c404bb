"""Error analytics: the most frequent weak phones, tones, words and pauses, for therapists."""
