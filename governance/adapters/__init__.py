"""Model adapters: the only modules that load and run models (built-in, transformers, Python)."""
