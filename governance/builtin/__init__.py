"""Built-in models: a small inpainting U-Net and a small class-conditional diffusion model.

Both are trained by the seeded scripts beside this file on the photographs that
scikit-image ships offline, so their whole training provenance is known and checkable.
"""
