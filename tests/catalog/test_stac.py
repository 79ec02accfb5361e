"""STAC conversion, validation against the official schemas (offline), export/import round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pystac
import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from palsar2.catalog import open_catalog
from palsar2.catalog.stac import EXTENSIONS, item_from_stac, item_to_stac

SCHEMAS = Path(__file__).parent.parent / "data" / "stac-schemas"
PYSTAC_SCHEMAS = Path(pystac.__file__).parent / "validation" / "jsonschemas"


def _registry() -> Registry:
    """Every schema we need, by its official URL, from local files (no network)."""
    res = {}
    for ext, ver in (("sar", "v1.3.0"), ("sat", "v1.2.0"), ("projection", "v2.0.0"),
                     ("view", "v1.1.0")):
        res[f"https://stac-extensions.github.io/{ext}/{ver}/schema.json"] = \
            json.loads((SCHEMAS / ext / ver / "schema.json").read_text())
    core = PYSTAC_SCHEMAS / "stac-spec" / "v1.1.0"
    for f in core.glob("*.json"):
        res[f"https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/{f.name}"] = \
            json.loads(f.read_text())
    for name in ("item", "collection", "catalog"):
        res[f"https://schemas.stacspec.org/v1.1.0/{name}-spec/json-schema/{name}.json"] = \
            json.loads((core / f"{name}.json").read_text())
    for f in (PYSTAC_SCHEMAS / "geojson").glob("*.json"):
        res[f"https://geojson.org/schema/{f.name}"] = json.loads(f.read_text())
    return Registry().with_resources(
        (uri, Resource.from_contents(doc, default_specification=DRAFT7))
        for uri, doc in res.items())


REGISTRY = _registry()


def validate(doc: dict, schema_uri: str) -> None:
    schema = REGISTRY.get_or_retrieve(schema_uri).value.contents
    errors = sorted(Draft7Validator(schema, registry=REGISTRY).iter_errors(doc), key=str)
    assert not errors, [e.message for e in errors]


def validate_item(doc: dict) -> None:
    validate(doc, "https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json")
    assert set(EXTENSIONS[:3]) <= set(doc["stac_extensions"])  # view needs off-nadir
    for uri in doc["stac_extensions"]:
        validate(doc, uri)


@pytest.fixture
def ingested(tmp_path, make_product):
    cat = open_catalog(tmp_path / "home")
    prods = [make_product(scene_id="ALOS2518890750-240101"),
             make_product(scene_id="ALOS2400000720-240108", product_id="UBSR2.1GUA", seed=3)]
    report = cat.ingest(prods)
    assert report.ok, report.failed
    return cat


def test_ingested_item_validates_with_all_extensions(ingested):
    item = ingested.get("ALOS2518890750-240101_UBSL2.1GUA")
    doc = item.to_stac().to_dict()
    validate_item(doc)
    assert set(EXTENSIONS) <= set(doc["stac_extensions"])
    p = doc["properties"]
    assert p["sar:instrument_mode"] == "U"
    assert p["sar:frequency_band"] == "L"
    assert p["sar:center_frequency"] == 1.2575
    assert p["sar:polarizations"] == ["HH"]
    assert p["sar:observation_direction"] == "left"
    assert p["sat:orbit_state"] == "ascending"
    assert p["sat:absolute_orbit"] == 51889
    assert p["sat:relative_orbit"] == (14 * 51889 + 24) % 207
    assert p["view:off_nadir"] == pytest.approx(32.4)
    assert p["proj:code"] == "EPSG:32653"
    assert p["proj:shape"] == list(item.geobox.shape)
    assert p["proj:transform"] == list(item.geobox.affine)[:6]
    assert p["palsar2:frame"] == 750 and p["palsar2:beam"] == "U2-6L"
    assert "ScanSAR" not in json.dumps(doc)


def test_core_schema_rejects_a_broken_item(ingested):
    doc = ingested.items()[0].to_stac().to_dict()
    del doc["properties"]["datetime"]
    with pytest.raises(AssertionError):
        validate(doc, "https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json")
    doc = ingested.items()[0].to_stac().to_dict()
    doc["properties"]["sar:frequency_band"] = "Z"
    with pytest.raises(AssertionError):
        validate(doc, EXTENSIONS[0])


def test_item_stac_round_trip_is_exact(ingested):
    for item in ingested.items():
        back = item_from_stac(item_to_stac(item).to_dict())
        assert back.to_dict() == item.to_dict()
        assert back.geobox == item.geobox


def test_export_is_self_contained_and_imports_back(ingested, tmp_path):
    out = ingested.export_stac(tmp_path / "stac")
    root = pystac.Catalog.from_file(str(out))
    assert len(list(root.get_items(recursive=True))) == 2
    for path in (tmp_path / "stac").rglob("*.json"):
        doc = json.loads(path.read_text())
        for link in doc.get("links", []):
            assert not link["href"].startswith("/"), (path, link)  # relative hrefs only
        if doc["type"] == "Feature":
            validate_item(doc)
        elif doc["type"] == "Collection":
            validate(doc, "https://schemas.stacspec.org/v1.1.0/collection-spec/json-schema/"
                     "collection.json")
    coll = json.loads((tmp_path / "stac" / "StripMap_202401" / "collection.json").read_text())
    assert coll["license"] == "CC-BY-NC-SA-4.0"
    assert coll["summaries"]["sar:instrument_mode"] == ["U"]

    other = open_catalog(tmp_path / "other")
    report = other.import_stac(tmp_path / "stac")
    assert report.ok and sorted(report.ingested) == sorted(i.id for i in ingested.items())
    for a, b in zip(ingested.items(), other.items(), strict=True):
        assert a.to_dict() == b.to_dict()
    # importing again is idempotent
    again = other.import_stac(tmp_path / "stac")
    assert not again.ingested and len(again.skipped) == 2


def test_export_with_copied_assets_uses_relative_hrefs(ingested, tmp_path):
    out = ingested.export_stac(tmp_path / "stac", copy_assets=True)
    other = open_catalog(tmp_path / "other")
    assert other.import_stac(out).ok
    for item in other.items():
        href = item.assets["HH"].href
        assert href.startswith(str(tmp_path / "stac"))
        assert Path(href).is_file()
    doc = json.loads(next((tmp_path / "stac").rglob("ALOS2*.json")).read_text())
    assert doc["assets"]["HH"]["href"] == "HH.tif"


def test_import_of_a_missing_or_bad_catalog(tmp_path, catalog):
    from palsar2.errors import CatalogError

    with pytest.raises(CatalogError, match="nowhere"):
        catalog.import_stac(tmp_path / "nowhere")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "catalog.json").write_text("{not json")
    with pytest.raises(CatalogError, match="catalog.json"):
        catalog.import_stac(bad)


def test_ee_export_and_zip_items_validate_too(tmp_path, make_ee_export, make_product):
    import zipfile

    prod = make_product(out_root=tmp_path / "p")
    zpath = tmp_path / "p.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for f in prod.iterdir():
            z.write(f, f"{prod.name}/{f.name}")
    cat = open_catalog(tmp_path / "home")
    assert cat.ingest(zpath, in_place=True).ok
    assert cat.ingest(make_ee_export(name="ee.tif"), date="2023-06-06", frame=2830,
                      pass_direction="descending", look_side="L").ok
    for item in cat.items():
        doc = item.to_stac().to_dict()
        validate_item(doc)
        assert item_from_stac(doc).to_dict() == item.to_dict()
    ee = cat.collection("StripMap_202401").filter(frame=2830).first()
    assert ee.to_stac().properties["proj:code"] == "EPSG:4326"
