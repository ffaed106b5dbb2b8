"""The governed call: every generation and restoration passes through one pipeline.

api -> pipeline (service, run, seal, plans) -> stages -> pipeline types (context,
stage, evidence) -> domains -> calls and the core -> libraries.
"""
