"""Built-in story loaders, one module per input format, each registered as a plugin."""
