"""From a spoken sentence to an on-screen decision."""
