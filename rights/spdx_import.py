"""Training manifests given as SPDX 3.0 JSON-LD (AI and Dataset profiles).

The model is the one `ai_AIPackage` with `trainedOn` relationships; each target must be
a `dataset_DatasetPackage`. A dataset's items are the `software_File` (or
`software_Package`) elements it reaches through `contains` or
`hasDistributionArtifact`, descending into directories, and each item must carry a
sha256 `Hash` in `verifiedUsing`: without the digest there is nothing to match
against registered works.

Licences come from `hasDeclaredLicense` / `hasConcludedLicense` relationships whose
targets are `simplelicensing_LicenseExpression` elements, listed-licence IRIs
(`https://spdx.org/licenses/CC-BY-4.0`) or the NoAssertion/None individuals; no
relationship means NOASSERTION. Several targets are all taken to apply (AND).

SPDX has no field for the legal basis of collection, so it is read from a dataset
`comment` whose first line starts with `legal_basis:` (e.g. `legal_basis: public_domain`);
otherwise it is "unspecified". The value is passed on as written: the manifest's own
validation decides which bases exist.

Types and vocabulary values are accepted compact (`ai_AIPackage`) or as full IRIs
(`https://spdx.org/rdf/3.0.1/terms/AI/AIPackage`); property names must be compact,
as the SPDX 3 JSON-LD serialisation writes them.
"""

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from rights.errors import InvalidLicenseError, InvalidManifestError
from rights.licenses import normalise_license

AI_PACKAGE = "ai_AIPackage"
DATASET = "dataset_DatasetPackage"
FILE = "software_File"
PACKAGE = "software_Package"
LICENSE_EXPRESSION = "simplelicensing_LicenseExpression"
LISTED_LICENSE = "expandedlicensing_ListedLicense"
RELATIONSHIPS = {"Relationship", "LifecycleScopedRelationship"}
# The 3.0.0 drafts named these without the "has"; files written against them still exist.
LICENSE_LINKS = {
    "hasDeclaredLicense": {"hasDeclaredLicense", "declaredLicense"},
    "hasConcludedLicense": {"hasConcludedLicense", "concludedLicense"},
}
ITEM_LINKS = {"contains", "hasDistributionArtifact"}
NOASSERTION_TARGETS = {"expandedlicensing_NoAssertionLicense", "NoAssertionElement"}
NONE_TARGETS = {"expandedlicensing_NoneLicense", "NoneElement"}
LEGAL_BASIS_PREFIX = "legal_basis:"
UNSPECIFIED_LEGAL_BASIS = "unspecified"

_TERM_IRI = re.compile(r"^https?://spdx\.org/rdf/3\.[0-9.]+/terms/([A-Za-z]+)/([A-Za-z]+)$")
_LISTED_IRI = re.compile(r"^https?://spdx\.org/licenses/([A-Za-z0-9.+\-]+?)(\.html|\.json)?$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


def is_spdx_document(doc: object) -> bool:
    """Whether `doc` is meant as SPDX JSON-LD rather than this project's own manifest.

    A bare `@graph` counts too, so that a broken SPDX document gets SPDX's error
    messages instead of being read as an empty manifest of our own format.
    """
    if not isinstance(doc, Mapping):
        return False
    if "@graph" in doc:
        return True
    context = doc.get("@context")
    contexts = context if isinstance(context, list) else [context]
    return any("spdx.org" in str(c).lower() for c in contexts if c is not None)


def spdx_to_training_manifest(doc: object) -> dict[str, Any]:
    """This project's training manifest read from an SPDX 3 document, or InvalidManifestError."""
    graph = _Graph(doc)
    model_id = graph.model()
    datasets = [graph.dataset(dataset_id) for dataset_id in graph.training_sets(model_id)]
    return {
        "datasets": datasets,
        "spdx": {"ai_package": model_id, "name": graph.name(model_id, "AI package")},
    }


def _compact(value: object) -> str:
    """`value` in the compact form of the SPDX JSON-LD context, for types and individuals."""
    if not isinstance(value, str):
        return ""
    found = _TERM_IRI.match(value)
    if not found:
        return value
    profile, name = found.groups()
    return name if profile == "Core" else f"{profile.lower()}_{name}"


def _vocab(value: object) -> str:
    """A vocabulary entry (`trainedOn`, `sha256`) whether compact or a full IRI."""
    if not isinstance(value, str):
        return ""
    return value.rsplit("/", 1)[-1] if value.startswith(("http://", "https://")) else value


def _types(element: Mapping[str, Any]) -> set[str]:
    raw = element.get("type", element.get("@type"))
    return {_compact(t) for t in (raw if isinstance(raw, list) else [raw])} - {""}


def _type_label(element: Mapping[str, Any]) -> str:
    return ", ".join(sorted(_types(element))) or "missing"


class _Graph:
    def __init__(self, doc: object) -> None:
        if not isinstance(doc, Mapping):
            raise InvalidManifestError("an SPDX document must be a JSON object")
        elements = doc.get("@graph")
        if not isinstance(elements, list):
            raise InvalidManifestError("the SPDX document has no '@graph' list of elements")
        self.by_id: dict[str, Mapping[str, Any]] = {}
        # from -> (relationship id, type, to), in document order so output order is stable;
        # indexed by source so that walking a large tree does not rescan every relationship.
        self.links: dict[str, list[tuple[str, str, list[str]]]] = {}
        for index, element in enumerate(elements):
            if not isinstance(element, Mapping):
                raise InvalidManifestError(f"element {index} of '@graph' is not an object")
            element_id = element.get("spdxId", element.get("@id"))
            label = element_id if isinstance(element_id, str) else f"element {index}"
            if isinstance(element_id, str):
                # The same element written twice is harmless; two different ones are ambiguous.
                if self.by_id.get(element_id, element) != element:
                    raise InvalidManifestError(f"two elements of '@graph' have the id {label}")
                self.by_id[element_id] = element
            if _types(element) & RELATIONSHIPS:
                source, kind, targets = self._relationship(label, element)
                self.links.setdefault(source, []).append((label, kind, targets))

    @staticmethod
    def _relationship(label: str, element: Mapping[str, Any]) -> tuple[str, str, list[str]]:
        source, targets = element.get("from"), element.get("to")
        # JSON-LD lets a one-item list be written as the item; SPDX examples do both.
        if isinstance(targets, str):
            targets = [targets]
        if not isinstance(source, str) or not (
            isinstance(targets, list) and all(isinstance(t, str) for t in targets)
        ):
            raise InvalidManifestError(
                f"relationship {label} needs 'from' as an element id and 'to' as a list of ids"
            )
        return source, _vocab(element.get("relationshipType")), list(dict.fromkeys(targets))

    def targets(self, source: str, kinds: set[str]) -> Iterator[tuple[str, str, str]]:
        """(relationship id, relationship type, target) of each link of `kinds` from `source`."""
        for label, kind, targets in self.links.get(source, []):
            if kind in kinds:
                for target in targets:
                    yield label, kind, target

    def name(self, element_id: str, what: str) -> str:
        name = self.by_id[element_id].get("name")
        if not isinstance(name, str) or not name.strip():
            raise InvalidManifestError(f"{what} {element_id} has no name")
        return name.strip()

    def model(self) -> str:
        models = [i for i, e in self.by_id.items() if AI_PACKAGE in _types(e)]
        if not models:
            raise InvalidManifestError(f"the SPDX document has no {AI_PACKAGE} element")
        trained = [m for m in models if any(self.targets(m, {"trainedOn"}))]
        if len(models) == 1 and not trained:
            raise InvalidManifestError(
                f"{AI_PACKAGE} {models[0]} has no trainedOn relationship to its datasets"
            )
        if not trained:
            raise InvalidManifestError(
                f"none of the {AI_PACKAGE} elements ({', '.join(models)}) has a trainedOn "
                "relationship"
            )
        if len(trained) > 1:
            raise InvalidManifestError(
                f"several {AI_PACKAGE} elements have trainedOn relationships "
                f"({', '.join(trained)}); give one model per document"
            )
        return trained[0]

    def training_sets(self, model_id: str) -> list[str]:
        found: list[str] = []
        for label, _, target in self.targets(model_id, {"trainedOn"}):
            element = self.by_id.get(target)
            if element is None:
                raise InvalidManifestError(
                    f"trainedOn relationship {label} points at {target}, "
                    "which is not an element of the graph"
                )
            if DATASET not in _types(element):
                raise InvalidManifestError(
                    f"trainedOn relationship {label} points at {target}, whose type is "
                    f"{_type_label(element)}, not {DATASET}"
                )
            if target not in found:
                found.append(target)
        return found

    def dataset(self, dataset_id: str) -> dict[str, Any]:
        element = self.by_id[dataset_id]
        return {
            "name": self.name(dataset_id, "dataset"),
            "declared_license": self.license(dataset_id, "hasDeclaredLicense"),
            "concluded_license": self.license(dataset_id, "hasConcludedLicense"),
            "legal_basis": _legal_basis(element),
            "acquired_at": _acquired_at(dataset_id, element),
            "items": [self.item(item_id) for item_id in self.items(dataset_id)],
        }

    def license(self, dataset_id: str, kind: str) -> str:
        found = [
            self.license_target(label, target)
            for label, _, target in self.targets(dataset_id, LICENSE_LINKS[kind])
        ]
        if not found:
            return "NOASSERTION"
        expressions = list(dict.fromkeys(found))
        if len(expressions) > 1 and {"NOASSERTION", "NONE"} & set(expressions):
            raise InvalidManifestError(
                f"dataset {dataset_id} has several {kind} targets, one of them "
                f"NOASSERTION or NONE: {', '.join(expressions)}"
            )
        joined = " AND ".join(f"({e})" if len(expressions) > 1 else e for e in expressions)
        try:
            return normalise_license(joined)
        except InvalidLicenseError as exc:
            raise InvalidManifestError(
                f"dataset {dataset_id}: its {kind} licence is not valid: {exc}"
            ) from None

    def license_target(self, label: str, target: str) -> str:
        if _compact(target) in NOASSERTION_TARGETS:
            return "NOASSERTION"
        if _compact(target) in NONE_TARGETS:
            return "NONE"
        element = self.by_id.get(target)
        listed = _LISTED_IRI.match(target)
        if element is not None and LICENSE_EXPRESSION in _types(element):
            expression = element.get("simplelicensing_licenseExpression")
            if not isinstance(expression, str) or not expression.strip():
                raise InvalidManifestError(
                    f"licence element {target} has no simplelicensing_licenseExpression"
                )
            return expression.strip()
        if listed and (element is None or LISTED_LICENSE in _types(element)):
            return listed.group(1)
        if element is None:
            raise InvalidManifestError(
                f"licence relationship {label} points at {target}, "
                "which is not an element of the graph"
            )
        raise InvalidManifestError(
            f"licence element {target} has the type {_type_label(element)}; give the licence as a "
            f"{LICENSE_EXPRESSION}"
        )

    def items(self, dataset_id: str) -> list[str]:
        found: list[str] = []
        seen = {dataset_id}
        # Depth first with an explicit stack, so a directory's files sit where the
        # directory is listed and a deep tree cannot exhaust Python's recursion limit.
        stack = [self.targets(dataset_id, ITEM_LINKS)]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                continue
            label, _, target = step
            if target in seen:
                continue
            seen.add(target)
            element = self.by_id.get(target)
            if element is None:
                raise InvalidManifestError(
                    f"relationship {label} of dataset {dataset_id} points at {target}, "
                    "which is not an element of the graph"
                )
            types = _types(element)
            if FILE in types and _vocab(element.get("software_fileKind")) == "directory":
                stack.append(self.targets(target, ITEM_LINKS))
            elif types & {FILE, PACKAGE} and DATASET not in types:
                found.append(target)
            else:
                raise InvalidManifestError(
                    f"dataset {dataset_id} holds {target}, whose type is {_type_label(element)}; "
                    f"items must be {FILE} or {PACKAGE} elements (a dataset used for "
                    "training needs its own trainedOn relationship)"
                )
        return found

    def item(self, item_id: str) -> dict[str, str]:
        element = self.by_id[item_id]
        source = next(
            (
                value.strip()
                for value in (element.get("software_downloadLocation"), element.get("name"))
                if isinstance(value, str) and value.strip()
            ),
            item_id,
        )
        return {"sha256": _sha256(item_id, element), "source": source}


def _sha256(item_id: str, element: Mapping[str, Any]) -> str:
    methods = element.get("verifiedUsing")
    methods = methods if isinstance(methods, list) else [methods] if methods else []
    hashes = [m for m in methods if isinstance(m, Mapping) and "Hash" in _types(m)]
    values = {
        str(h.get("hashValue", "")).strip()
        for h in hashes
        if _vocab(h.get("algorithm")).lower() == "sha256"
    }
    if not values:
        others = sorted({_vocab(h.get("algorithm")) or "unnamed" for h in hashes})
        if others:
            raise InvalidManifestError(
                f"item {item_id} has only {', '.join(others)} hashes; a sha256 Hash is needed"
            )
        raise InvalidManifestError(f"item {item_id} has no sha256 Hash in verifiedUsing")
    bad = sorted(v for v in values if not _SHA256.match(v))
    if bad:
        raise InvalidManifestError(
            f"item {item_id} has a sha256 hashValue that is not 64 hex digits: {bad[0]!r}"
        )
    digests = {v.lower() for v in values}
    if len(digests) > 1:
        raise InvalidManifestError(f"item {item_id} has several different sha256 hashes")
    return digests.pop()


def _legal_basis(element: Mapping[str, Any]) -> str:
    comment = element.get("comment")
    if isinstance(comment, str):
        first_line = comment.strip().splitlines()[0] if comment.strip() else ""
        if first_line.startswith(LEGAL_BASIS_PREFIX):
            return first_line[len(LEGAL_BASIS_PREFIX) :].strip() or UNSPECIFIED_LEGAL_BASIS
    return UNSPECIFIED_LEGAL_BASIS


def _acquired_at(dataset_id: str, element: Mapping[str, Any]) -> str | None:
    # The release is the earliest moment the data could have been acquired from its
    # publisher; the build time stands in when no release time is given.
    for field in ("releaseTime", "builtTime"):
        value = element.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidManifestError(f"dataset {dataset_id}: {field} is not a date-time")
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise InvalidManifestError(
                f"dataset {dataset_id}: {field} {value!r} is not an ISO 8601 date-time"
            ) from None
        return value
    return None
