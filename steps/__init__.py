"""Step libraries of the acceptance suite, one module per thing acted on."""
