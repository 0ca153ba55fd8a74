"""Media sources: decoding files (PyAV); cameras and microphones come with the studio."""
