"""Reconciling detector calibrations (detector.calibrated) with their rows.

The newest detector_calibrations row for a model's weights is the one in force, so a
row changed or added behind the log's back changes what every later screen says: each
row must say what its entry says (a row that names no entry of its own is found by
reconcile_rows.unrecorded_rows).
"""

from governance.aimodels.models import DetectorCalibration
from governance.audit.entries import DetectorCalibrated
from governance.audit.reconcile_fields import (
    RowCheck,
    audit_index,
    by_audit_index,
    kind_check,
)

calibrations = kind_check(
    DetectorCalibrated,
    RowCheck[DetectorCalibrated, int, DetectorCalibration](
        table="detector_calibrations",
        key=audit_index,
        load=by_audit_index(DetectorCalibration),
        absent=None,
        label=lambda row, _: str(row.id),
        fields=lambda entry, data, row: [
            ("model_id", data.model_id, row.model_id),
            ("weights_sha256", data.weights_sha256, row.weights_sha256),
            ("method", data.method, row.method),
            ("parameters", data.parameters, row.parameters),
            ("figures", data.figures, row.figures),
            ("target_fpr", data.target_fpr, row.target_fpr),
            ("threshold", data.threshold, row.threshold),
            ("calibrated_by", entry.actor, row.calibrated_by),
        ],
    ),
)
