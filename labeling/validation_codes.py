"""Plain-language sentences for C2PA validation status codes.

Codes are those of the C2PA 2.x specification ("Existing manifests" / validation
tables) as c2pa-rs reports them, plus a few 1.x names that older readers still emit.
The readers of a verification report are regulators and conservators, not C2PA
engineers: each sentence says what was checked and what the outcome means.
"""

_SUCCESS: dict[str, str] = {
    "claimSignature.validated": "The manifest's digital signature is intact: the claim has not "
    "been changed since it was signed.",
    "claimSignature.insideValidity": "The manifest was signed while its signing certificate was "
    "valid.",
    "signingCredential.trusted": "The signing certificate chains to a certificate authority that "
    "this verifier trusts.",
    "signingCredential.ocsp.notRevoked": "The certificate authority confirmed that the signing "
    "certificate had not been revoked.",
    "timeStamp.validated": "The manifest carries a well-formed timestamp from a timestamp "
    "authority that matches the signature.",
    "timeStamp.trusted": "The timestamp was issued by a timestamp authority this verifier trusts.",
    "assertion.hashedURI.match": "A statement inside the manifest is exactly as it was when the "
    "manifest was signed.",
    "assertion.dataHash.match": "The file's content is exactly as it was when the manifest was "
    "signed.",
    "assertion.bmffHash.match": "The media content (video/audio boxes) is exactly as it was when "
    "the manifest was signed.",
    "assertion.boxesHash.match": "The file's content boxes are exactly as they were when the "
    "manifest was signed.",
    "assertion.collectionHash.match": "Every file in the signed collection is unchanged.",
    "assertion.accessible": "A statement stored outside the file could be retrieved.",
    "ingredient.manifest.validated": "The manifest of a source file (ingredient) is intact.",
    "ingredient.claimSignature.validated": "The signature of a source file's (ingredient's) "
    "manifest is intact.",
}

_INFORMATIONAL: dict[str, str] = {
    "signingCredential.ocsp.skipped": "The verifier did not ask the certificate authority online "
    "whether the signing certificate was revoked (offline verification).",
    "signingCredential.ocsp.inaccessible": "The verifier tried to ask whether the signing "
    "certificate was revoked, but got no answer.",
    "timeStamp.mismatch": "The timestamp does not belong to this signature, so the signing time "
    "cannot be confirmed.",
    "timeStamp.malformed": "The timestamp cannot be read, so the signing time cannot be confirmed.",
    "timeStamp.outsideValidity": "The timestamp falls outside the validity period of the signing "
    "or timestamp certificate.",
    "timeStamp.untrusted": "The timestamp was issued by a timestamp authority this verifier does "
    "not trust.",
    "timeOfSigning.insideValidity": "The signing time claimed by the signer lies within the "
    "validity of its certificate.",
    "timeOfSigning.outsideValidity": "The signing time claimed by the signer lies outside the "
    "validity of its certificate.",
    "manifest.unknownProvenance": "This verifier cannot interpret the manifest's version.",
    "manifest.unreferenced": "The file holds a manifest that no other manifest refers to.",
    "algorithm.deprecated": "The manifest uses a cryptographic algorithm that is deprecated.",
    "ingredient.unknownProvenance": "A source file (ingredient) carried no manifest, so its own "
    "history is unknown.",
    "assertion.dataHash.additionalExclusionsPresent": "The content hash leaves out more of the "
    "file than the manifest itself; those parts could change unnoticed.",
    "assertion.bmffHash.additionalExclusionsPresent": "The media hash leaves out more boxes than "
    "required; those parts could change unnoticed.",
    "assertion.boxesHash.additionalExclusionsPresent": "The box hash leaves out more of the file "
    "than required; those parts could change unnoticed.",
}

_FAILURE: dict[str, str] = {
    "claimSignature.mismatch": "The manifest's signature does not match its content: the "
    "manifest was altered after signing or the signature is forged.",
    "claimSignature.missing": "The manifest has no signature.",
    "claimSignature.outsideValidity": "The manifest was signed outside the validity period of "
    "its signing certificate.",
    "signingCredential.untrusted": "The signing certificate does not chain to any certificate "
    "authority this verifier trusts; the signer's identity is not vouched for.",
    "signingCredential.invalid": "The signing certificate is not fit for signing content "
    "credentials (wrong type, usage or structure).",
    "signingCredential.expired": "The signing certificate had expired when it was checked.",
    "signingCredential.revoked": "The certificate authority revoked the signing certificate.",
    "signingCredential.ocsp.revoked": "The certificate authority revoked the signing certificate.",
    "signingCredential.ocsp.unknown": "The certificate authority does not know the signing "
    "certificate's revocation status.",
    "assertion.hashedURI.mismatch": "A statement inside the manifest was changed after signing.",
    "assertion.dataHash.mismatch": "The file's content changed after it was signed: pixels or "
    "other data differ from what the manifest vouches for.",
    "assertion.dataHash.malformed": "The content hash in the manifest cannot be read.",
    "assertion.dataHash.redacted": "The content hash was removed from the manifest.",
    "assertion.bmffHash.mismatch": "The media content changed after it was signed.",
    "assertion.bmffHash.malformed": "The media hash in the manifest cannot be read.",
    "assertion.boxesHash.mismatch": "The file's content boxes changed after they were signed.",
    "assertion.boxesHash.malformed": "The box hash in the manifest cannot be read.",
    "assertion.boxesHash.unknownBox": "The file contains content boxes the signed hash does not "
    "know about.",
    "assertion.collectionHash.mismatch": "A file in the signed collection has changed.",
    "assertion.collectionHash.incorrectFileCount": "Files are missing from the signed collection.",
    "assertion.collectionHash.invalidURI": "The signed collection names a file by an unsafe path.",
    "assertion.collectionHash.malformed": "The collection hash cannot be read.",
    "assertion.missing": "A statement the manifest lists is missing.",
    "assertion.undeclared": "The manifest holds a statement that its signature does not cover.",
    "assertion.inaccessible": "A statement stored outside the file could not be retrieved.",
    "assertion.notRedacted": "A statement marked as removed is still present.",
    "assertion.selfRedacted": "The manifest claims to have removed one of its own statements, "
    "which is not allowed.",
    "assertion.required.missing": "A statement lacks a field the standard requires.",
    "assertion.json.invalid": "A JSON statement inside the manifest cannot be read.",
    "assertion.cbor.invalid": "A binary (CBOR) statement inside the manifest cannot be read.",
    "assertion.outsideManifest": "The manifest refers to a statement held in another manifest.",
    "assertion.multipleHardBindings": "The manifest binds itself to the content more than once.",
    "assertion.hardBinding.redacted": "The binding between manifest and content was removed.",
    "assertion.action.ingredientMismatch": "An editing step names a source file (ingredient) "
    "that cannot be found.",
    "assertion.action.malformed": "The list of editing steps is malformed.",
    "assertion.action.redacted": "The list of editing steps was removed, which is not allowed.",
    "assertion.action.redactionMismatch": "A redaction step does not match what was removed.",
    "assertion.action.softBindingMissing": "A watermarking step is recorded but the watermark's "
    "soft-binding statement is missing.",
    "assertion.cloud-data.hardBinding": "A content binding was stored outside the file, which is "
    "not allowed.",
    "assertion.cloud-data.actions": "An update manifest refers to editing steps stored outside "
    "the file, which is not allowed.",
    "assertion.cloud-data.malformed": "A statement stored outside the file is incompletely "
    "described.",
    "assertion.ingredient.malformed": "A source file (ingredient) record is incomplete.",
    "assertion.metadata.disallowed": "A metadata statement contains a field the standard does "
    "not allow.",
    "assertion.timestamp.malformed": "A timestamp statement cannot be read.",
    "claim.malformed": "The manifest's claim, or a statement it relies on, is malformed.",
    "claim.missing": "The manifest has no claim.",
    "claim.multiple": "The manifest has more than one claim.",
    "claim.required.missing": "The manifest's claim lacks a field the standard requires.",
    "claim.cbor.invalid": "The manifest's claim cannot be decoded.",
    "claim.hardBindings.missing": "The manifest is not bound to the file's content at all.",
    "manifest.missing": "The manifest the file refers to is missing.",
    "manifest.inaccessible": "The manifest is stored elsewhere and could not be retrieved.",
    "manifest.multipleParents": "The manifest names more than one parent file.",
    "manifest.update.invalid": "An update manifest contains statements it may not contain.",
    "manifest.update.wrongParents": "An update manifest must name exactly one parent file.",
    "manifest.timestamp.invalid": "A timestamp manifest contains statements it may not contain.",
    "manifest.timestamp.wrongParents": "A timestamp manifest must name exactly one parent file.",
    "manifest.compressed.invalid": "The compressed manifest cannot be decompressed.",
    "ingredient.hashedURI.mismatch": "A source file's (ingredient's) manifest was changed after "
    "it was recorded.",
    "ingredient.manifest.missing": "The manifest of a source file (ingredient) is missing.",
    "ingredient.manifest.mismatch": "The manifest of a source file (ingredient) differs from the "
    "one recorded.",
    "ingredient.claimSignature.missing": "The signature of a source file's (ingredient's) "
    "manifest is missing.",
    "ingredient.claimSignature.mismatch": "The signature of a source file's (ingredient's) "
    "manifest differs from the one recorded.",
    "hashedURI.missing": "Data that the manifest refers to cannot be found.",
    "hashedURI.mismatch": "Data that the manifest refers to has changed.",
    "algorithm.unsupported": "The manifest uses an algorithm this verifier does not support.",
    "general.error": "The manifest could not be checked because of an error: it is damaged or "
    "unreadable.",
}

CODES: dict[str, str] = {**_SUCCESS, **_INFORMATIONAL, **_FAILURE}

# Unknown codes still get a sentence: the family names what was checked.
_FAMILIES: dict[str, str] = {
    "claimSignature": "the manifest's signature",
    "signingCredential": "the signing certificate",
    "timeStamp": "the timestamp",
    "timeOfSigning": "the signing time",
    "assertion": "a statement inside the manifest",
    "claim": "the manifest's claim",
    "manifest": "the manifest",
    "ingredient": "a source file (ingredient)",
    "hashedURI": "data the manifest refers to",
    "algorithm": "a cryptographic algorithm",
    "cawg": "a creator identity or rights statement (CAWG)",
}


def explain(code: str) -> str:
    """One plain-English sentence for a C2PA validation status code."""
    known = CODES.get(code)
    if known is not None:
        return known
    family = _FAMILIES.get(code.split(".", 1)[0], "the content credentials")
    return f"The verifier reported '{code}' about {family}; no plain description is on file."


def kind_of(code: str) -> str:
    """The kind of a code: success, informational or failure (unknown codes fail, as in c2pa-rs)."""
    if code in _SUCCESS:
        return "success"
    if code in _INFORMATIONAL:
        return "informational"
    return "failure"
