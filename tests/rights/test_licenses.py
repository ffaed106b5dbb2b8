import pytest

from rights.errors import InvalidLicenseError
from rights.licenses import normalise_license


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("CC-BY-NC-4.0", "CC-BY-NC-4.0"),
        ("cc-by-4.0 or mit", "CC-BY-4.0 OR MIT"),
        ("MIT OR Apache-2.0 AND BSD-3-Clause", "MIT OR (Apache-2.0 AND BSD-3-Clause)"),
        (
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
        ),
        ("LicenseRef-museum-loan-2024", "LicenseRef-museum-loan-2024"),
        ("noassertion", "NOASSERTION"),
    ],
)
def test_valid_expressions_are_normalised(given: str, canonical: str) -> None:
    assert normalise_license(given) == canonical


@pytest.mark.parametrize(
    "bad", ["", "   ", "Foo-1.0", "MIT AND", "(MIT", "MIT WITH Foo", "MIT OR " * 100 + "MIT"]
)
def test_invalid_expressions_are_refused(bad: str) -> None:
    with pytest.raises(InvalidLicenseError):
        normalise_license(bad)
