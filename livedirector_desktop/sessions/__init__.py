"""The history of studio sessions (recordings), in SQLite in the user data dir."""
