"""Writing results: the video file and its sidecars (captions, decision timeline, EDL)."""
