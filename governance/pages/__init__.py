"""What the web pages (governance/api/ui/) show: one function per page, gathering from the
domains what the API would answer, under the same role rules, as typed data. Never
imports fastapi; never commits."""
