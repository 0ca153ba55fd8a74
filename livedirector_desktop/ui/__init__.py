"""The only package that imports Qt (PySide6). The studio window lives here."""
