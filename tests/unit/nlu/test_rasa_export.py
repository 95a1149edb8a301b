"""`dms nlu export-rasa DIR`: a Rasa 3.x NLU project, generated from the catalog, that the
Rasa backend can read back: every annotated span resolves to what it was made from."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.cli import main
from nlu.builtin_parser import BuiltinParser
from nlu.evaluation import Case
from nlu.parse_result import INTENTS, ParseContext
from nlu.rasa_backend import Entity, rasa_text, resolve_entities
from nlu.rasa_export import PHRASES, RasaProject, build_project, config_yml
from tests.unit.nlu.shop_catalog import PRODUCTS

# Rasa's own markup: [text](entity)
MARKUP = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<entity>[^)]+)\)")


def plain(example: str) -> tuple[str, list[Entity]]:
    """'[2](qty) [cs](unit) x' -> ('2 cs x', entities), as Rasa reads its training data."""
    out, entities, at = "", [], 0
    for m in MARKUP.finditer(example):
        out += example[at:m.start()]
        entities.append(Entity(m["entity"], len(out), len(out) + len(m["text"]), m["text"],
                               m["text"]))
        out += m["text"]
        at = m.end()
    return out + example[at:], entities


@pytest.fixture(scope="module")
def project() -> RasaProject:
    return build_project(PRODUCTS)


@pytest.fixture(scope="module")
def nlu(project: RasaProject) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(project.nlu_yml())
    return data


def _blocks(nlu: dict[str, Any], kind: str) -> dict[str, list[str]]:
    return {str(b[kind]): [line[2:] for line in b["examples"].splitlines()]
            for b in nlu["nlu"] if kind in b}


def test_the_training_data_is_rasa_3_yaml_with_every_intent(nlu: dict[str, Any]) -> None:
    assert nlu["version"] == "3.1"
    intents = _blocks(nlu, "intent")
    assert set(intents) == set(INTENTS)
    assert all(len(examples) >= 10 for examples in intents.values())
    assert all(line.startswith("- ") for b in nlu["nlu"] for line in b["examples"].splitlines())


def test_order_examples_carry_product_quantity_and_unit_entities(nlu: dict[str, Any]) -> None:
    orders = _blocks(nlu, "intent")["place_order"]
    kinds = {e.kind for line in orders for e in plain(line)[1]}
    assert kinds == {"product", "qty", "unit"}
    assert len(orders) >= 3 * len(PRODUCTS)


def test_every_annotated_example_resolves_back_through_the_backend(
        nlu: dict[str, Any]) -> None:
    extractor = BuiltinParser(PRODUCTS).extractor
    for intent in ("place_order", "return_request", "log_visit"):
        for line in _blocks(nlu, "intent")[intent]:
            text, entities = plain(line)
            products = [e for e in entities if e.kind == "product"]
            if not products:
                continue
            items, _ = resolve_entities(extractor, entities, None, ParseContext())
            assert len(items) == len(products), line
            assert text == text.lower() and "\n" not in text


def test_lookup_tables_hold_catalog_names_and_unit_spellings(nlu: dict[str, Any]) -> None:
    lookups = _blocks(nlu, "lookup")
    assert {"fanta 600", "mortein coil", "dalmia dsp cement 50 kg"} <= set(lookups["product"])
    assert {"cs", "ctn", "peti", "pcs", "dz", "ladi", "bori"} <= set(lookups["unit"])


def test_synonyms_map_only_aliases_that_name_one_product(nlu: dict[str, Any]) -> None:
    synonyms = _blocks(nlu, "synonym")
    assert "machhar coil" in synonyms["mortein mosquito coil 10 coils"]
    every_variant = [v for variants in synonyms.values() for v in variants]
    assert "fanta" not in every_variant  # three Fanta packs answer to it
    assert len(every_variant) == len(set(every_variant))


def test_the_phrasings_of_our_own_are_all_in(nlu: dict[str, Any]) -> None:
    intents = _blocks(nlu, "intent")
    for intent, phrases in PHRASES.items():
        assert {rasa_text(p) for p in phrases} <= set(intents[intent]), intent


def test_the_pipeline_trains_on_a_cpu_and_maps_synonyms() -> None:
    config = yaml.safe_load(config_yml(epochs=40))
    names = [c["name"] for c in config["pipeline"]]
    assert names == ["WhitespaceTokenizer", "RegexFeaturizer", "LexicalSyntacticFeaturizer",
                     "CountVectorsFeaturizer", "CountVectorsFeaturizer", "DIETClassifier",
                     "EntitySynonymMapper"]
    assert config["language"] == "en"
    assert config["pipeline"][5]["epochs"] == 40
    assert config["pipeline"][4]["analyzer"] == "char_wb"


def test_the_domain_lists_intents_and_entities(project: RasaProject) -> None:
    domain = yaml.safe_load(project.domain_yml())
    assert domain["entities"] == ["product", "qty", "unit"]
    assert set(domain["intents"]) == set(INTENTS)


def test_given_examples_are_annotated_by_our_parser_and_checked_against_gold() -> None:
    agrees = Case("Paanch box Disprin aur 2 dz medimix", "retailer", None, {
        "intent": "place_order", "items": [{"sku": "DISPRIN", "qty": 5, "unit": "box"},
                                           {"sku": "MEDIMIX-75", "qty": 2, "unit": "dozen"}]})
    disagrees = Case("4 box disprin", "retailer", None, {
        "intent": "place_order", "items": [{"sku": "COMBIFLAM", "qty": 4, "unit": "box"}]})
    asks = Case("hisaab bhejo bhai", "retailer", None, {"intent": "statement_query"})
    project = build_project(PRODUCTS, [agrees, disagrees, asks])
    orders = [e.markup() for e in project.examples["place_order"]]
    assert "[paanch](qty) [box](unit) [disprin](product) aur [2](qty) [dz](unit) " \
           "[medimix](product)" in orders
    assert not any(o.startswith("[4](qty) [box](unit) [disprin]") for o in orders)
    assert "hisaab bhejo bhai" in [e.text for e in project.examples["statement_query"]]
    assert (project.report["cases_used"], project.report["cases_skipped"]) == (2, 1)


CATALOG = """sku,name,brand,category,base_unit,pack_units,default_unit,price,mrp,aliases
ZING-1L,Zing Floor Cleaner 1L,Zing,Home Care,bottle,case=12,bottle,90,110,zing|zing 1l
ZING-500,Zing Floor Cleaner 500ml,Zing,Home Care,bottle,case=24,bottle,50,60,zing|zing 500
KRUNCH-10,Krunch Rings 10rs,Krunch,Snacks,packet,box=20,box,8,10,krunch|krunch rings
KRUNCH-20,Krunch Rings 20rs,Krunch,Snacks,packet,box=10,box,16,20,krunch 20|krunch bada
"""


def test_the_command_writes_a_project_rasa_can_train(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG, encoding="utf-8")
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({
        "text": "3 ctn Zing 1L", "role": "retailer", "intent": "place_order",
        "items": [{"sku": "ZING-1L", "qty": 3, "unit": "case"}]}) + "\n", encoding="utf-8")
    out = tmp_path / "rasa"
    assert main(["nlu", "export-rasa", str(out), "--catalog", str(catalog),
                 "--examples", str(cases), "--epochs", "20"]) == 0
    printed = capsys.readouterr().out
    assert "1 used, 0 skipped" in printed
    assert {p.name for p in out.rglob("*.yml")} == {"nlu.yml", "config.yml", "domain.yml"}
    nlu = yaml.safe_load((out / "data" / "nlu.yml").read_text(encoding="utf-8"))
    orders = _blocks(nlu, "intent")["place_order"]
    assert "[3](qty) [ctn](unit) [zing 1 l](product)" in orders
    assert yaml.safe_load((out / "config.yml").read_text())["pipeline"][5]["epochs"] == 20
