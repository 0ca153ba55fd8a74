"""What the program output looks like: the scene model, and the CPU compositor that draws it."""
