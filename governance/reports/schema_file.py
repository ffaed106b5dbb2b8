"""The committed JSON Schema of a generation report;
`python -m governance.reports.schema_file` rewrites it."""

import json
from pathlib import Path
from typing import Any

from governance.reports.generation_schema import SCHEMA, GenerationReport

SCHEMA_PATH = Path(__file__).parent / "json_schemas" / "generation-report.v1.json"


def schema_document() -> dict[str, Any]:
    document = GenerationReport.model_json_schema(by_alias=True)
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["$id"] = SCHEMA
    return document


def schema_text() -> str:
    return json.dumps(schema_document(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    SCHEMA_PATH.parent.mkdir(exist_ok=True)
    SCHEMA_PATH.write_text(schema_text())


if __name__ == "__main__":
    main()
