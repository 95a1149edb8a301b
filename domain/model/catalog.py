"""Products and their units. A quantity is held in the unit the buyer named and in base units."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from domain.errors import InvalidInput


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    brand: str
    category: str
    base_unit: str
    pack_units: dict[str, int] = field(default_factory=dict)
    default_unit: str = ""
    price: Decimal = Decimal("0")
    mrp: Decimal = Decimal("0")
    aliases: tuple[str, ...] = ()
    active: bool = True

    def __post_init__(self) -> None:
        if not self.default_unit:
            object.__setattr__(self, "default_unit", self.base_unit)

    def __hash__(self) -> int:
        return hash(self.sku)

    @property
    def units(self) -> dict[str, int]:
        """Every unit this product is sold in, with its size in base units."""
        return {self.base_unit: 1, **self.pack_units}

    def unit_size(self, unit: str | None) -> int:
        name = unit or self.default_unit
        try:
            return self.units[name]
        except KeyError:
            sold = ", ".join(self.units)
            raise InvalidInput(f"{self.name} is not sold by the {name} (only: {sold})") from None

    def to_base(self, qty: Decimal, unit: str | None) -> int:
        """Quantity in base units; refuses fractions of a base unit (half a bottle)."""
        base = Decimal(qty) * self.unit_size(unit)
        if base != base.to_integral_value():
            raise InvalidInput(
                f"{qty} {unit or self.default_unit} of {self.name} is not a whole number of "
                f"{self.base_unit}s"
            )
        return int(base)

    def unit_price(self, unit: str | None) -> Decimal:
        return self.price * self.unit_size(unit)
