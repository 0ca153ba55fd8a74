"""Entry point for `python main.py` and for the PyInstaller build."""

from livedirector_desktop.cli import main

if __name__ == "__main__":
    main()
