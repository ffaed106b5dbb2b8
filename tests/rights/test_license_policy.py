import pytest

from rights.errors import InvalidLicenseError, RightsError
from rights.license_policy import (
    CLEARED_IDS,
    LicenseAssessment,
    LicenseVerdict,
    assess_license,
    assess_license_id,
)

CLEARED = LicenseVerdict.CLEARED
REVIEW = LicenseVerdict.REVIEW
BLOCKED = LicenseVerdict.BLOCKED


@pytest.mark.parametrize(
    "expression",
    [
        "CC0-1.0",
        "CC-PDDC",
        "CC-PDM-1.0",
        "PDDL-1.0",
        "Unlicense",
        "CC-BY-1.0",
        "CC-BY-2.0",
        "CC-BY-2.5",
        "CC-BY-3.0",
        "CC-BY-4.0",
        "CC-BY-3.0-DE",
        "CC-BY-3.0-IGO",
        "CC-BY-3.0-US",
        "MIT",
        "MIT-0",
        "Apache-2.0",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "ISC",
        "Zlib",
        "ODC-By-1.0",
        "CDLA-Permissive-1.0",
        "CDLA-Permissive-2.0",
    ],
)
def test_permissive_and_public_domain_ids_are_cleared(expression: str) -> None:
    assert assess_license(expression) == LicenseAssessment(expression, CLEARED, ())


def test_every_id_in_the_cleared_table_is_a_known_spdx_id() -> None:
    # A typo in the table would silently never match.
    for key in CLEARED_IDS:
        assert assess_license(key).verdict is CLEARED


@pytest.mark.parametrize(
    ("expression", "family"),
    [
        ("CC-BY-NC-4.0", "non-commercial (NC)"),
        ("CC-BY-NC-2.0", "non-commercial (NC)"),
        ("PolyForm-Noncommercial-1.0.0", "non-commercial (NC)"),
        ("NCGL-UK-2.0", "non-commercial (NC)"),
        ("CC-BY-ND-4.0", "no-derivatives (ND)"),
        ("CC-BY-SA-4.0", "share-alike (SA) or copyleft"),
        ("CC-BY-SA-3.0-IGO", "share-alike (SA) or copyleft"),
        ("GPL-3.0-only", "share-alike (SA) or copyleft"),
        ("GPL-2.0-or-later", "share-alike (SA) or copyleft"),
        ("LGPL-2.1-only", "share-alike (SA) or copyleft"),
        ("AGPL-3.0-or-later", "share-alike (SA) or copyleft"),
        ("MPL-2.0", "share-alike (SA) or copyleft"),
        ("EPL-2.0", "share-alike (SA) or copyleft"),
        ("EUPL-1.2", "share-alike (SA) or copyleft"),
        ("CDDL-1.0", "share-alike (SA) or copyleft"),
        ("ODbL-1.0", "share-alike (SA) or copyleft"),
        ("CDLA-Sharing-1.0", "share-alike (SA) or copyleft"),
        ("GFDL-1.3-only", "share-alike (SA) or copyleft"),
    ],
)
def test_restricted_families_go_to_review(expression: str, family: str) -> None:
    result = assess_license(expression)
    assert result.verdict is REVIEW
    assert len(result.reasons) == 1
    assert result.reasons[0].startswith(f"{expression}: {family} terms need review")


def test_the_nc_reason_reads_as_documented() -> None:
    assert assess_license("CC-BY-NC-4.0").reasons == (
        "CC-BY-NC-4.0: non-commercial (NC) terms need review for this deployment",
    )


def test_an_id_in_several_families_names_each_in_one_reason() -> None:
    (reason,) = assess_license("CC-BY-NC-ND-4.0").reasons
    assert "non-commercial (NC)" in reason and "no-derivatives (ND)" in reason
    (reason,) = assess_license("CC-BY-NC-SA-4.0").reasons
    assert "non-commercial (NC)" in reason and "share-alike (SA)" in reason


@pytest.mark.parametrize("expression", ["OFL-1.1", "Artistic-2.0", "OGL-UK-3.0"])
def test_other_valid_ids_are_not_in_the_table(expression: str) -> None:
    result = assess_license(expression)
    assert result == LicenseAssessment(
        expression, REVIEW, (f"{expression}: not in the policy table",)
    )


def test_noassertion_is_review_and_none_is_blocked() -> None:
    assert assess_license("noassertion") == LicenseAssessment(
        "NOASSERTION", REVIEW, ("NOASSERTION: nothing was concluded about this licence",)
    )
    result = assess_license("NONE")
    assert result.verdict is BLOCKED
    assert result.reasons == ("NONE: there is no licence, so all rights are reserved",)


@pytest.mark.parametrize(
    "expression",
    ["LicenseRef-museum-loan-2024", "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2"],
)
def test_licence_refs_are_unknown_to_the_policy(expression: str) -> None:
    result = assess_license(expression)
    assert result.verdict is REVIEW
    assert result.reasons == (
        f"{expression}: a licence of its own (LicenseRef), unknown to the policy",
    )


def test_or_takes_the_best_option_and_keeps_no_reason_when_cleared() -> None:
    assert assess_license("CC-BY-NC-4.0 OR MIT") == LicenseAssessment(
        "CC-BY-NC-4.0 OR MIT", CLEARED, ()
    )


def test_or_of_review_options_keeps_every_reason() -> None:
    result = assess_license("CC-BY-NC-4.0 OR GPL-3.0-only")
    assert result.verdict is REVIEW
    assert [r.split(":")[0] for r in result.reasons] == ["CC-BY-NC-4.0", "GPL-3.0-only"]


def test_and_takes_the_worst_term() -> None:
    result = assess_license("MIT AND CC-BY-ND-4.0")
    assert result.verdict is REVIEW
    assert [r.split(":")[0] for r in result.reasons] == ["CC-BY-ND-4.0"]
    assert assess_license("MIT AND Apache-2.0").verdict is CLEARED


def test_and_keeps_the_reasons_of_every_term() -> None:
    result = assess_license("CC-BY-SA-4.0 AND LicenseRef-x AND CC-BY-4.0")
    assert [r.split(":")[0] for r in result.reasons] == ["CC-BY-SA-4.0", "LicenseRef-x"]


def test_nested_parentheses() -> None:
    # The first group clears through MIT, the second only reaches review.
    result = assess_license("(MIT OR GPL-2.0-only) AND (CC-BY-NC-4.0 OR (CC-BY-ND-4.0 AND ISC))")
    assert result.expression == "(MIT OR GPL-2.0-only) AND (CC-BY-NC-4.0 OR (CC-BY-ND-4.0 AND ISC))"
    assert result.verdict is REVIEW
    assert [r.split(":")[0] for r in result.reasons] == ["CC-BY-NC-4.0", "CC-BY-ND-4.0"]
    nested = "((CC-BY-SA-4.0 OR (CC0-1.0 AND MIT)) AND (Apache-2.0 OR LicenseRef-a))"
    assert assess_license(nested) == LicenseAssessment(
        "(CC-BY-SA-4.0 OR (CC0-1.0 AND MIT)) AND (Apache-2.0 OR LicenseRef-a)", CLEARED, ()
    )


def test_precedence_and_binds_tighter_than_or() -> None:
    # MIT OR (CC-BY-NC-4.0 AND GPL-3.0-only): the licensee can take MIT alone.
    assert assess_license("MIT OR CC-BY-NC-4.0 AND GPL-3.0-only").verdict is CLEARED


def test_with_exception_is_judged_as_its_licence() -> None:
    result = assess_license("GPL-2.0-or-later WITH Classpath-exception-2.0")
    assert result.verdict is REVIEW
    assert result.reasons[0].startswith("GPL-2.0-or-later: share-alike (SA) or copyleft")
    assert assess_license("Apache-2.0 WITH LLVM-exception").verdict is CLEARED
    assert assess_license("Apache-2.0 WITH LLVM-exception OR CC-BY-NC-4.0").verdict is CLEARED


def test_repeated_ids_give_one_reason() -> None:
    result = assess_license("CC-BY-NC-4.0 AND (CC-BY-NC-4.0 OR CC-BY-NC-4.0)")
    assert len(result.reasons) == 1


def test_the_expression_is_normalised() -> None:
    assert assess_license("  cc-by-4.0 or mit ").expression == "CC-BY-4.0 OR MIT"
    assert assess_license("GPL-2.0+").expression == "GPL-2.0-or-later"


@pytest.mark.parametrize("bad", ["", "Foo-1.0", "MIT AND", "(MIT", "MIT WITH Foo", "MIT OR NONE"])
def test_invalid_expressions_raise(bad: str) -> None:
    with pytest.raises(InvalidLicenseError):
        assess_license(bad)


def test_invalid_expression_is_a_rights_error() -> None:
    with pytest.raises(RightsError):
        assess_license("not a licence")


def test_assess_license_id_alone() -> None:
    assert assess_license_id("MIT") == (CLEARED, None)
    verdict, reason = assess_license_id("CC-BY-ND-4.0")
    assert verdict is REVIEW and reason and reason.startswith("CC-BY-ND-4.0: no-derivatives")
