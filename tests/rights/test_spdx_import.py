import copy
import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from rights.errors import InvalidManifestError
from rights.spdx_import import is_spdx_document, spdx_to_training_manifest

CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
IRI = "https://spdx.org/rdf/3.0.1/terms"
LISTED = "https://spdx.org/licenses"
BASE = "https://museum.example/spdx/restorer-v2"


def at(key: str) -> str:
    return f"{BASE}/{key}"


MODEL, PRINTS, LETTERS, HOLDOUT = (at(k) for k in ("AI-1", "DS-prints", "DS-letters", "DS-hold"))
LETTER, PRINTS_LICENSE = at("File-letter-1"), at("License-prints")


def sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def hashed(algorithm: str, value: object) -> dict[str, Any]:
    return {"type": "Hash", "algorithm": algorithm, "hashValue": value}


def node(kind: str, spdx_id: str, **props: Any) -> dict[str, Any]:
    return {"type": kind, "spdxId": spdx_id, "creationInfo": "_:creationinfo", **props}


def file(key: str, name: str, **props: Any) -> dict[str, Any]:
    props.setdefault("verifiedUsing", [hashed("md5", "0" * 32), hashed("sha256", sha(name))])
    return node("software_File", at(key), name=name, software_fileKind="file", **props)


def rel(key: str, kind: str, source: str, *targets: str) -> dict[str, Any]:
    props = {"relationshipType": kind, "from": source, "to": list(targets)}
    return node("Relationship", at(key), **props)


def dataset(spdx_id: str, name: str, **props: Any) -> dict[str, Any]:
    props.setdefault("dataset_datasetType", ["image"])
    return node("dataset_DatasetPackage", spdx_id, name=name, originatedBy=[at("Org")], **props)


def realistic() -> dict[str, Any]:
    """A model trained on two datasets and tested on a third, as a tool would write it."""
    info = {"specVersion": "3.0.1", "createdBy": [at("Org")], "created": "2025-03-01T10:00:00Z"}
    graph = [
        {"type": "CreationInfo", "@id": "_:creationinfo", **info},
        node("Organization", at("Org"), name="Example Museum"),
        node("SpdxDocument", at("Doc"), profileConformance=["core", "ai", "dataset"]),
        node("software_Sbom", at("Sbom"), rootElement=[MODEL]),
        node(
            "ai_AIPackage",
            MODEL,
            name="Print restorer",
            software_downloadLocation="https://museum.example/models/restorer-v2",
            software_primaryPurpose="model",
            releaseTime="2025-02-20T00:00:00Z",
        ),
        dataset(
            PRINTS,
            "Japanese woodblock prints",
            software_downloadLocation="https://museum.example/open/prints",
            builtTime="2024-11-02T09:30:00Z",
            releaseTime="2024-12-01T00:00:00Z",
            comment="legal_basis: public_domain\nScanned from the 1890 gift.",
        ),
        file("File-print-1", "prints/hokusai-wave.tif"),
        file("File-print-2", "prints/hiroshige-rain.tif"),
        node("software_File", at("Dir-extra"), name="prints/extra", software_fileKind="directory"),
        file("File-print-3", "prints/extra/utamaro.tif"),
        file("File-zip", "prints.zip", software_downloadLocation="https://museum.example/p.zip"),
        dataset(LETTERS, "Correspondence scans", builtTime="2023-05-05T12:00:00Z"),
        file("File-letter-1", "letters/0001.png"),
        dataset(HOLDOUT, "Holdout", releaseTime="2024-01-01T00:00:00Z"),
        file("File-hold-1", "holdout/1.png"),
        node(
            "simplelicensing_LicenseExpression",
            PRINTS_LICENSE,
            simplelicensing_licenseExpression="cc0-1.0 OR CC-BY-4.0",
            simplelicensing_licenseListVersion="3.25.0",
        ),
        node(
            "simplelicensing_LicenseExpression",
            f"{LISTED}/CC-BY-NC-4.0",
            simplelicensing_licenseExpression="CC-BY-NC-4.0",
        ),
        rel("trainedOn-1", "trainedOn", MODEL, PRINTS, LETTERS),
        rel("testedOn-1", "testedOn", MODEL, HOLDOUT),
        rel("contains-prints", "contains", PRINTS, at("File-print-1"), at("Dir-extra")),
        rel("contains-extra", "contains", at("Dir-extra"), at("File-print-3")),
        rel("contains-prints-2", "contains", PRINTS, at("File-print-2")),
        rel("dist-prints", "hasDistributionArtifact", PRINTS, at("File-zip")),
        rel("contains-letters", "contains", LETTERS, LETTER),
        rel("contains-holdout", "contains", HOLDOUT, at("File-hold-1")),
        rel("declared-prints", "hasDeclaredLicense", PRINTS, PRINTS_LICENSE),
        rel("concluded-prints", "hasConcludedLicense", PRINTS, f"{LISTED}/CC0-1.0"),
        rel("declared-letters", "hasDeclaredLicense", LETTERS, f"{LISTED}/CC-BY-NC-4.0"),
        rel("model-license", "hasDeclaredLicense", MODEL, f"{LISTED}/Apache-2.0"),
    ]
    return {"@context": CONTEXT, "@graph": graph}


def element(doc: dict[str, Any], spdx_id: str) -> dict[str, Any]:
    return next(e for e in doc["@graph"] if e.get("spdxId", e.get("@id")) == spdx_id)


def without(doc: dict[str, Any], spdx_id: str) -> dict[str, Any]:
    doc["@graph"] = [e for e in doc["@graph"] if e.get("spdxId") != spdx_id]
    return doc


def item(name: str, source: str | None = None) -> dict[str, str]:
    return {"sha256": sha(name), "source": source or name}


def first(doc: dict[str, Any], key: str, index: int = 0) -> Any:
    return spdx_to_training_manifest(doc)["datasets"][index][key]


def refused(doc: object, *words: str) -> None:
    with pytest.raises(InvalidManifestError) as caught:
        spdx_to_training_manifest(doc)
    for word in words:
        assert word in str(caught.value), str(caught.value)


def test_realistic_document() -> None:
    assert spdx_to_training_manifest(realistic()) == {
        "datasets": [
            {
                "name": "Japanese woodblock prints",
                "declared_license": "CC0-1.0 OR CC-BY-4.0",
                "concluded_license": "CC0-1.0",
                "legal_basis": "public_domain",
                "acquired_at": "2024-12-01T00:00:00Z",
                # Directory contents sit where the directory is listed; the test set is absent.
                "items": [
                    item("prints/hokusai-wave.tif"),
                    item("prints/extra/utamaro.tif"),
                    item("prints/hiroshige-rain.tif"),
                    item("prints.zip", "https://museum.example/p.zip"),
                ],
            },
            {
                "name": "Correspondence scans",
                "declared_license": "CC-BY-NC-4.0",
                "concluded_license": "NOASSERTION",
                "legal_basis": "unspecified",
                "acquired_at": "2023-05-05T12:00:00Z",
                "items": [item("letters/0001.png")],
            },
        ],
        "spdx": {"ai_package": MODEL, "name": "Print restorer"},
    }


def test_is_spdx_document() -> None:
    assert is_spdx_document(realistic())
    assert is_spdx_document({"@context": [CONTEXT, {"x": "y"}]})
    assert is_spdx_document({"@context": "https://spdx.org/rdf/3.0.0/spdx-context.jsonld"})
    assert is_spdx_document({"@graph": "broken"})
    assert not is_spdx_document({"datasets": []})
    assert not is_spdx_document({"@context": "https://schema.org"})
    assert not is_spdx_document([CONTEXT])
    assert not is_spdx_document(None)


def test_full_iri_types_and_vocabulary() -> None:
    doc = realistic()
    profiles = {"ai": "AI", "dataset": "Dataset", "software": "Software"}
    for e in doc["@graph"]:
        profile, _, name = e["type"].rpartition("_")
        if profile in profiles or e["type"] == "Relationship":
            e["type"] = f"{IRI}/{profiles.get(profile, 'Core')}/{name}"
        if e["type"].endswith("_LicenseExpression"):
            e["type"] = f"{IRI}/SimpleLicensing/LicenseExpression"
        if "relationshipType" in e:
            e["relationshipType"] = f"{IRI}/Core/RelationshipType/{e['relationshipType']}"
        for method in e.get("verifiedUsing", []):
            method["type"] = f"{IRI}/Core/Hash"
            method["algorithm"] = f"{IRI}/Core/HashAlgorithm/{method['algorithm']}"
        if e.get("software_fileKind") == "directory":
            e["software_fileKind"] = f"{IRI}/Software/FileKindType/directory"
    assert element(doc, MODEL)["type"] == f"{IRI}/AI/AIPackage"
    assert element(doc, LETTER)["type"] == f"{IRI}/Software/File"
    assert spdx_to_training_manifest(doc) == spdx_to_training_manifest(realistic())


def test_spdx_3_0_0_iris_and_at_id_are_read_too() -> None:
    doc = realistic()
    model = element(doc, MODEL)
    model["type"] = "https://spdx.org/rdf/3.0.0/terms/AI/AIPackage"
    model["@id"] = model.pop("spdxId")
    assert spdx_to_training_manifest(doc)["spdx"]["ai_package"] == MODEL


def test_to_written_as_a_single_id() -> None:
    doc = realistic()
    element(doc, at("contains-letters"))["to"] = LETTER
    assert first(doc, "items", 1) == [item("letters/0001.png")]


def test_multiple_datasets_across_relationships_keep_document_order() -> None:
    doc = realistic()
    doc["@graph"].append(rel("trainedOn-2", "trainedOn", MODEL, HOLDOUT, PRINTS))
    names = [d["name"] for d in spdx_to_training_manifest(doc)["datasets"]]
    assert names == ["Japanese woodblock prints", "Correspondence scans", "Holdout"]


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        ([f"{LISTED}/MIT"], "MIT"),
        ([f"{LISTED}/CC-BY-SA-4.0.html"], "CC-BY-SA-4.0"),
        (["expandedlicensing_NoAssertionLicense"], "NOASSERTION"),
        ([f"{IRI}/ExpandedLicensing/NoneLicense"], "NONE"),
        (["expandedlicensing_NoneLicense"], "NONE"),
        ([f"{LISTED}/MIT", PRINTS_LICENSE], "MIT AND (CC0-1.0 OR CC-BY-4.0)"),
    ],
)
def test_licence_targets(targets: list[str], expected: str) -> None:
    doc = realistic()
    element(doc, at("concluded-prints"))["to"] = targets
    assert first(doc, "concluded_license") == expected


def test_listed_licence_element_and_legacy_relationship_name() -> None:
    doc = realistic()
    doc["@graph"].append({"type": "expandedlicensing_ListedLicense", "spdxId": f"{LISTED}/ISC"})
    relationship = element(doc, at("concluded-prints"))
    relationship["relationshipType"] = "concludedLicense"
    relationship["to"] = [f"{LISTED}/ISC"]
    assert first(doc, "concluded_license") == "ISC"


def test_licence_expression_with_exception_and_licence_ref() -> None:
    doc = realistic()
    element(doc, PRINTS_LICENSE)["simplelicensing_licenseExpression"] = (
        "(GPL-2.0-or-later WITH Classpath-exception-2.0) OR LicenseRef-museum-open"
    )
    assert first(doc, "declared_license") == (
        "GPL-2.0-or-later WITH Classpath-exception-2.0 OR LicenseRef-museum-open"
    )


def test_acquired_at_falls_back_to_built_time_then_none() -> None:
    doc = realistic()
    del element(doc, PRINTS)["releaseTime"]
    assert first(doc, "acquired_at") == "2024-11-02T09:30:00Z"
    del element(doc, PRINTS)["builtTime"]
    assert first(doc, "acquired_at") is None


def test_legal_basis_only_from_a_tagged_comment() -> None:
    doc = realistic()
    element(doc, PRINTS)["comment"] = "Scanned in 2024. legal_basis: consent"
    assert first(doc, "legal_basis") == "unspecified"
    element(doc, PRINTS)["comment"] = "legal_basis:   "
    assert first(doc, "legal_basis") == "unspecified"


def test_uppercase_hash_is_lowered_and_duplicate_items_are_listed_once() -> None:
    doc = realistic()
    element(doc, LETTER)["verifiedUsing"] = [hashed("sha256", sha("letters/0001.png").upper())]
    doc["@graph"].append(rel("dist-letters", "hasDistributionArtifact", LETTERS, LETTER))
    assert first(doc, "items", 1) == [item("letters/0001.png")]


def test_a_dataset_without_items_has_an_empty_list() -> None:
    assert first(without(realistic(), at("contains-letters")), "items", 1) == []


def test_the_model_with_trained_on_is_chosen_among_several() -> None:
    doc = realistic()
    doc["@graph"].append(node("ai_AIPackage", at("AI-base"), name="Base model"))
    assert spdx_to_training_manifest(doc)["spdx"]["ai_package"] == MODEL


def test_a_contains_cycle_terminates() -> None:
    doc = realistic()
    doc["@graph"].append(rel("loop", "contains", at("Dir-extra"), PRINTS))
    assert len(first(doc, "items")) == 4


def test_the_same_element_written_twice_is_accepted() -> None:
    doc = realistic()
    doc["@graph"].append(copy.deepcopy(element(doc, LETTERS)))
    assert len(spdx_to_training_manifest(doc)["datasets"]) == 2


def test_the_input_document_is_not_changed() -> None:
    doc = realistic()
    before = copy.deepcopy(doc)
    spdx_to_training_manifest(doc)
    assert doc == before


# --- refusals -----------------------------------------------------------------------------

Change = Callable[[dict[str, Any]], object]
MODEL_2 = node("ai_AIPackage", at("AI-2"), name="B")
EXPRESSION = "simplelicensing_licenseExpression"


def put(spdx_id: str, **fields: Any) -> Change:
    return lambda doc: element(doc, spdx_id).update(fields)


def unset(spdx_id: str, key: str) -> Change:
    return lambda doc: element(doc, spdx_id).pop(key)


def drop(spdx_id: str) -> Change:
    return lambda doc: without(doc, spdx_id)


def add(*elements: dict[str, Any]) -> Change:
    return lambda doc: doc["@graph"].extend(copy.deepcopy(elements))


def hashes(*methods: dict[str, Any]) -> Change:
    return put(LETTER, verifiedUsing=list(methods))


def twin(doc: dict[str, Any]) -> None:
    doc["@graph"].append({**element(doc, LETTERS), "name": "Other"})


REFUSALS: list[tuple[list[Change], list[str]]] = [
    ([lambda doc: doc["@graph"].insert(2, "oops")], ["element 2"]),
    ([drop(MODEL)], ["no ai_AIPackage"]),
    ([drop(at("trainedOn-1"))], [MODEL, "no trainedOn"]),
    ([drop(at("trainedOn-1")), add(MODEL_2)], ["none of the ai_AIPackage", at("AI-2")]),
    ([add(MODEL_2, rel("t-b", "trainedOn", at("AI-2"), LETTERS))], ["several ai_AI", at("AI-2")]),
    ([add(rel("t-x", "trainedOn", MODEL, at("DS-gone")))], [at("DS-gone"), "not an el", "t-x"]),
    ([add(rel("t-f", "trainedOn", MODEL, LETTER))], [LETTER, "not dataset_DatasetPackage"]),
    *[
        ([hashes(hashed("sha256", value))], [LETTER, "64 hex digits"])
        for value in ["abc", "g" * 64, sha("x") + "0", "", None]
    ],
    ([hashes(hashed("md5", "0" * 32), hashed("sha1", "0" * 40))], [LETTER, "md5, sha1"]),
    ([unset(LETTER, "verifiedUsing")], [LETTER, "no sha256 Hash"]),
    ([hashes()], [LETTER, "no sha256 Hash"]),
    ([hashes({"type": "PackageVerificationCode"})], [LETTER, "no sha256 Hash"]),
    ([hashes(hashed("sha256", sha("a")), hashed("sha256", sha("b")))], ["several different"]),
    ([drop(at("File-print-3"))], [at("File-print-3"), "not an element", "contains-extra"]),
    ([add(rel("c-ds", "contains", LETTERS, HOLDOUT))], [HOLDOUT, "its own trainedOn"]),
    ([drop(PRINTS_LICENSE)], [PRINTS_LICENSE, "declared-prints", "not an element of the graph"]),
    ([unset(PRINTS_LICENSE, EXPRESSION)], [PRINTS_LICENSE, f"no {EXPRESSION}"]),
    (
        [put(PRINTS_LICENSE, type="expandedlicensing_ConjunctiveLicenseSet")],
        [PRINTS_LICENSE, "ConjunctiveLicenseSet", "LicenseExpression"],
    ),
    ([put(PRINTS_LICENSE, **{EXPRESSION: "MIT AND"})], [PRINTS, "hasDeclaredLicense", "MIT AND"]),
    (
        [put(at("concluded-prints"), to=[f"{LISTED}/MIT", "expandedlicensing_NoneLicense"])],
        [PRINTS, "NOASSERTION or NONE"],
    ),
    *[
        ([put(at("contains-letters"), **change)], ["contains-letters", "'from'"])
        for change in ({"from": None}, {"to": 3}, {"to": ["ok", 4]})
    ],
    ([twin], [LETTERS, "two elements"]),
    ([unset(LETTERS, "name")], [LETTERS, "no name"]),
    ([put(MODEL, name="  ")], [MODEL, "no name"]),
    *[
        ([put(PRINTS, releaseTime=value)], [PRINTS, "releaseTime"])
        for value in ["yesterday", 20240101, "2024-13-01T00:00:00Z"]
    ],
]


@pytest.mark.parametrize(("changes", "words"), REFUSALS)
def test_refused(changes: list[Change], words: list[str]) -> None:
    doc = realistic()
    for change in changes:
        change(doc)
    refused(doc, *words)


@pytest.mark.parametrize("doc", [None, [], "text", 3])
def test_not_an_object(doc: object) -> None:
    refused(doc, "JSON object")


@pytest.mark.parametrize("doc", [{"@context": CONTEXT}, {"@context": CONTEXT, "@graph": {}}])
def test_no_graph_list(doc: object) -> None:
    refused(doc, "'@graph'")
