from __future__ import annotations

import pytest

from nlu.builtin_parser import BuiltinParser
from tests.unit.nlu.shop_catalog import PRODUCTS


@pytest.fixture(scope="session")
def parser() -> BuiltinParser:
    return BuiltinParser(PRODUCTS)
