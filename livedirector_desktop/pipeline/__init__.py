"""Whole jobs built from the stages: render (file to file) and, with the studio, live."""
