"""The model registry: models, what they were trained on, and their clearance."""
