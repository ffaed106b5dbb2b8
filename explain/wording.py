"""The report's fixed sentences: the target, what is not offered and why, the limits."""

TARGET_WORDS = (
    "For each target region (the whole mask, or one connected damaged region), the sum "
    "over R, G and B of the model's output (before clamping, in [0, 1] units) over the "
    "region's damaged pixels, divided by the region's area: the mean fill of the region. "
    "'whole' explains the model's output; 'correction' explains the output minus the "
    "model's parameter-free fill, i.e. what the learned weights add."
)

# Measured on the built-in restorer at 512 px, one thread (the report's method notes).
NOT_OFFERED: list[tuple[str, str]] = [
    (
        "LayerGradCam",
        "measured unfaithful on the built-in restorer: zoomed deletion AUC 0.85 against "
        "0.95 for a random ranking; it follows image edges and texture, not the damage",
    ),
    ("Occlusion", "over budget: 56 CPU-s at 512 px with 64 windows"),
    ("GradientShap", "over budget at 512 px: 16 CPU-s and 6 GB for 8 samples"),
    ("SmoothGrad", "over budget at 512 px: 13 CPU-s for 8 samples"),
]

LIMITS: list[str] = [
    "Attributions explain one scalar per region (the mean fill); they do not say why a "
    "particular pixel of the fill has its colour.",
    "Gradients describe the model near this input; a map can be faithful to the model "
    "and still show the parameter-free fill's stencil rather than what was learned: "
    "read the 'correction' maps for that.",
    "Deletion and insertion replace pixels by black, which the model never saw in "
    "training; curves are zoomed to the first few per cent of pixels.",
    "The uncertainty map is a spread under small input noise, not a probability.",
    "The parameter-randomisation check is run once per weights on a fixed photograph "
    "and mask, and cited here; it is not recomputed for this image.",
    "Pixels outside the mask that change by no more than the watermark's levels are "
    "attributed to the watermark by their size alone.",
]
