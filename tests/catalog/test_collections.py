"""The built-in StripMap_202401 definition: correct text, the published table, beam lookup."""

from __future__ import annotations

import datetime as dt

from palsar2.catalog import BUILTIN, STRIPMAP_202401
from palsar2.catalog.collections import assign_collection, beam_for

D = BUILTIN[STRIPMAP_202401]


def test_description_says_sigma_nought_stripmap_not_the_published_mistakes():
    text = D.description.lower()
    assert "sigma-nought" in text and "stripmap" in text
    assert "scansar" not in text
    # gamma-nought is only mentioned to say what the product is not
    assert "not terrain-flattened gamma-nought" in text
    assert "10 * log10(dn^2) + cf" in text and "-83.0 db" in text
    assert "level 2.2" in text


def test_licence_terms_citation_band_visualisation_view():
    assert D.license == "CC-BY-NC-SA-4.0"
    assert "non-commercial" in D.terms and "G-Portal" in D.terms
    assert D.citation.startswith("The data used for this paper have been provided by Earth "
                                 "Observation Research Center (EORC)")
    (band,) = D.bands
    assert band["name"] == "b1" and band["polarisation"] == "HH" and band["units"] == "DN"
    assert (D.visualisation["min"], D.visualisation["max"]) == (0, 8000)
    assert D.default_view == {"lon": 137.2228, "lat": 37.1204, "zoom": 8}
    assert D.extra["earth_engine_id"] == "JAXA/ALOS/PALSAR-2/Level2_1/StripMap_202401"


def test_published_table_rows():
    rows = {(e.date.isoformat(), e.frames, e.beam, e.pass_direction) for e in D.beam_table}
    assert len(D.beam_table) == 7
    assert ("2022-09-26", (750, 760, 770), "U2-6L", "ascending") in rows
    assert ("2023-06-06", (2820, 2830, 2840), "U2-8L", "descending") in rows
    assert ("2024-01-08", (720, 730), "U2-9R", "ascending") in rows
    assert "2023-06-12" not in {e.date.isoformat() for e in D.beam_table}
    assert min(e.date for e in D.beam_table) == dt.date(2022, 9, 26)
    assert max(e.date for e in D.beam_table) == dt.date(2024, 1, 8)


def test_beam_lookup_takes_the_look_side_from_the_product():
    assert beam_for(D, dt.date(2024, 1, 1), 760, "L") == ("U2-6L", None)
    beam, note = beam_for(D, dt.date(2024, 1, 8), 730, "R")
    assert beam == "U2-9R" and "U3-13" in note and "right-looking" in note
    beam, note = beam_for(D, dt.date(2024, 1, 2), 2830, "R")
    assert beam == "U2-8R" and "look side" in note
    assert beam_for(D, dt.date(2024, 1, 1), 2830, "L") == (None, None)
    assert assign_collection(dt.date(2023, 12, 6), 720) == STRIPMAP_202401
    assert assign_collection(dt.date(2023, 12, 6), 750) == "PALSAR2"


def test_definition_round_trips_through_its_dict():
    from palsar2.catalog import CollectionDefinition

    assert CollectionDefinition.from_dict(D.to_dict()) == D
