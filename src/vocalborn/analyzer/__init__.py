"""Speech analysis: the offline analyser, the remote client and the AI service (DESIGN §7)."""
