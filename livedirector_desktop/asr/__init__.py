"""Speech to text: recognizers behind one protocol, fed 16 kHz mono PCM."""
