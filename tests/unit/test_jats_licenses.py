"""Licence spellings from the wild -> PMC licence codes -> BIOMEDICA subsets."""

from __future__ import annotations

import pytest

from biomedica_spark.jats.licenses import LICENSE_CODES, license_subset, normalise_license


@pytest.mark.parametrize(
    ("value", "code"),
    [
        # codes as PMC and publishers write them
        ("CC BY", "CC BY"),
        ("CC-BY", "CC BY"),
        ("cc-by", "CC BY"),
        ("CC BY 4.0", "CC BY"),
        ("ccby", "CC BY"),
        ("CC BY-NC-ND", "CC BY-NC-ND"),
        ("cc_by_nc_sa", "CC BY-NC-SA"),
        ("CC BY-NC 3.0 IGO", "CC BY-NC"),
        ("CC BY-SA", "CC BY-SA"),
        ("CC BY-ND 4.0", "CC BY-ND"),
        ("CC0", "CC0"),
        ("cc0 1.0", "CC0"),
        ("NO-CC CODE", "NO-CC CODE"),
        # licence URLs
        ("http://creativecommons.org/licenses/by/4.0/", "CC BY"),
        ("https://creativecommons.org/licenses/by-nc-nd/4.0/", "CC BY-NC-ND"),
        ("https://creativecommons.org/licenses/by-nc-sa/3.0/igo/", "CC BY-NC-SA"),
        ("http://creativecommons.org/licenses/by-sa/2.5/", "CC BY-SA"),
        ("https://creativecommons.org/licenses/by-nd/4.0/legalcode", "CC BY-ND"),
        ("http://creativecommons.org/licenses/by-nc/2.0/uk/", "CC BY-NC"),
        ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0"),
        ("https://creativecommons.org/publicdomain/mark/1.0/", "NO-CC CODE"),
        ("https://www.elsevier.com/tdm/userlicense/1.0/", "NO-CC CODE"),
        # licence text
        ("This is an open access article under the CC BY-NC-ND license.", "CC BY-NC-ND"),
        ("distributed under the Creative Commons Attribution License", "CC BY"),
        ("Creative Commons Attribution-NonCommercial-NoDerivatives 4.0 International", "CC BY-NC-ND"),
        ("Creative Commons Attribution Non-Commercial License", "CC BY-NC"),
        ("Creative Commons Attribution-ShareAlike 4.0", "CC BY-SA"),
        ("Creative Commons CC0 public domain dedication", "CC0"),
        (
            "See (http://creativecommons.org/licenses/by/4.0/). "
            "Data: creativecommons.org/publicdomain/zero/1.0/",
            "CC BY",
        ),
        # no CC licence named
        ("open-access", "NO-CC CODE"),
        ("openaccess", "NO-CC CODE"),
        ("creative-commons", "NO-CC CODE"),
        ("public-domain", "NO-CC CODE"),
        ("All rights reserved.", "NO-CC CODE"),
        ("Given 5 cc of saline", "NO-CC CODE"),
        ("", "NO-CC CODE"),
        (None, "NO-CC CODE"),
    ],
)
def test_normalise_license(value: str | None, code: str) -> None:
    assert normalise_license(value) == code


@pytest.mark.parametrize(
    ("code", "subset"),
    [
        ("CC0", "commercial"),
        ("CC BY", "commercial"),
        ("CC BY-SA", "commercial"),
        ("CC BY-ND", "commercial"),
        ("CC BY-NC", "noncommercial"),
        ("CC BY-NC-SA", "noncommercial"),
        ("CC BY-NC-ND", "noncommercial"),
        ("NO-CC CODE", "other"),
        (None, "other"),
    ],
)
def test_license_subset(code: str | None, subset: str) -> None:
    assert license_subset(code) == subset


def test_every_code_normalises_to_itself() -> None:
    assert [normalise_license(code) for code in LICENSE_CODES] == list(LICENSE_CODES)
