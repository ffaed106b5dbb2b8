"""Labels on AI-made outputs: signing identity, the label stage, resolution, verification."""
