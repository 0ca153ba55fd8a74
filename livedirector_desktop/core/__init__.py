"""Types and small utilities shared by every layer; imports nothing else of ours."""
