"""Works registry: terms vocabulary, licences, fingerprints and the match index.

Never imports `governance`, `labeling` or `explain`; takes a session where it needs one.
"""
