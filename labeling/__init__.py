"""C2PA manifests and signing, implicit and visible labels, watermarks, verification.

Only the adapter modules here import `c2pa`. Never imports `governance`, `rights` or `explain`.
"""
