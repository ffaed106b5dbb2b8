"""Restoration reports: what a restorer changed, why, how sure, and whether that holds.

The only package that imports captum. Public interface: explain.report
(explain_restoration, ReportParams, ReportContext, BuiltReport), explain.randomisation
(randomisation_check), explain.verify (compare_reports), explain.schemas (the JSON).
"""
