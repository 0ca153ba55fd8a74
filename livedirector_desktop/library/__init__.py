"""The creator's B-roll library: clips, their metadata and their vectors."""
