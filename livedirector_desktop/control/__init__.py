"""The local control API (WebSocket + remote page); GUI-free."""
