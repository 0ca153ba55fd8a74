from livedirector_desktop.cli import main

main()
