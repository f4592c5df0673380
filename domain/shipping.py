"""Where an order goes and what it costs to send it there.

An address is a value: checked once when it is made (lengths, no control or invisible formatting
characters, a real ISO 3166-1 alpha-2 country), then copied whole onto the order it is shipped to.
The price of shipping is one rule: a flat price per order for the address's country (or the rate
for every other country, `*`), nothing when the lines total at least the free-shipping threshold,
and a refusal for a country the shop does not serve."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from domain.errors import DomainError, InvalidValue
from domain.values import MAX_INT32

COUNTRIES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()  # noqa: SIM905 - 249 codes read better as text
)
"""The 249 officially assigned ISO 3166-1 alpha-2 codes."""

EVERY_OTHER_COUNTRY = "*"
NAME_MAX = 200
LINE_MAX = 200
CITY_MAX = 100
POSTAL_CODE_MAX = 20
PHONE_MAX = 40

_UNSEEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
"""Control characters (newlines and tabs included: an address field is one line), formatting
characters (bidirectional overrides, zero-width joiners) and lone surrogates: nothing a label
printer or a carrier's system should receive."""


class CountryNotServed(DomainError):
    def __init__(self, country: str) -> None:
        super().__init__(f"the shop does not ship to {country}")
        self.country = country


class ShippingAddressRequired(DomainError):
    def __init__(self) -> None:
        super().__init__("the cart has no shipping address: set one (PUT /cart/shipping-address) first")


def _clean(field_name: str, value: str) -> str:
    if any(unicodedata.category(char) in _UNSEEN_CATEGORIES for char in value):
        raise InvalidValue(field_name, "must not contain control or formatting characters")
    return value.strip()


def _line(field_name: str, value: str, *, max_length: int) -> str:
    text = _clean(field_name, value)
    if not text:
        raise InvalidValue(field_name, "must not be blank")
    if len(text) > max_length:
        raise InvalidValue(field_name, f"must be at most {max_length} characters")
    return text


def _optional_line(field_name: str, value: str | None, *, max_length: int) -> str | None:
    """Absent, or blank, is no value at all."""
    if value is None or not _clean(field_name, value):
        return None
    return _line(field_name, value, max_length=max_length)


def require_country(field_name: str, value: str) -> str:
    if value not in COUNTRIES:
        raise InvalidValue(field_name, "must be an ISO 3166-1 alpha-2 country code in upper case, such as GB")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    """A postal address, trimmed. Blank `line2` and `phone` are stored as absent."""

    name: str
    line1: str
    line2: str | None = None
    city: str
    postal_code: str
    country: str
    phone: str | None = None

    def __post_init__(self) -> None:
        checked = {
            "name": _line("name", self.name, max_length=NAME_MAX),
            "line1": _line("line1", self.line1, max_length=LINE_MAX),
            "line2": _optional_line("line2", self.line2, max_length=LINE_MAX),
            "city": _line("city", self.city, max_length=CITY_MAX),
            "postal_code": _line("postal_code", self.postal_code, max_length=POSTAL_CODE_MAX),
            "country": require_country("country", self.country),
            "phone": _optional_line("phone", self.phone, max_length=PHONE_MAX),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)


def _cents(name: str, value: int) -> int:
    if isinstance(value, bool) or not 0 <= value <= MAX_INT32:
        raise InvalidValue(name, f"must be a whole number of cents from 0 to {MAX_INT32}")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class ShippingRates:
    """What shipping one order costs, by country. Without a rate for every other country (`*`),
    a country absent from `by_country` is not served."""

    by_country: Mapping[str, int] = field(default_factory=dict)
    every_other_country: int | None = None
    free_over_cents: int | None = None
    """Orders whose lines total at least this ship free; None: never free."""

    def __post_init__(self) -> None:
        for country, cents in self.by_country.items():
            require_country("SHIPPING_RATES", country)
            _cents("SHIPPING_RATES", cents)
        object.__setattr__(self, "by_country", MappingProxyType(dict(self.by_country)))
        if self.every_other_country is not None:
            _cents("SHIPPING_RATES", self.every_other_country)
        if self.free_over_cents is not None and (
            isinstance(self.free_over_cents, bool) or self.free_over_cents < 1
        ):
            raise InvalidValue("FREE_SHIPPING_OVER_CENTS", "must be a whole number of cents, at least 1")

    @classmethod
    def parse(cls, text: str, *, free_over_cents: int | None = None) -> ShippingRates:
        """`GB:399,IE:599,*:999`: a country code (or `*`) and a price in cents, comma-separated,
        each country once."""
        by_country: dict[str, int] = {}
        every_other: int | None = None
        entries = [entry.strip() for entry in text.split(",")]
        if not any(entries):
            raise InvalidValue(
                "SHIPPING_RATES", "names no country; write COUNTRY:CENTS pairs such as GB:399,*:999"
            )
        for entry in entries:
            country, colon, cents_text = (part.strip() for part in entry.partition(":"))
            country = country.upper()
            if not colon or not cents_text.isdigit() or not cents_text.isascii():
                raise InvalidValue(
                    "SHIPPING_RATES",
                    f"{entry!r} is not COUNTRY:CENTS (as GB:399, or *:999 for every other)",
                )
            cents = _cents("SHIPPING_RATES", int(cents_text))
            if country == EVERY_OTHER_COUNTRY:
                if every_other is not None:
                    raise InvalidValue("SHIPPING_RATES", "gives * twice")
                every_other = cents
                continue
            if country not in COUNTRIES:
                raise InvalidValue("SHIPPING_RATES", f"{country!r} is not an ISO 3166-1 alpha-2 country code")
            if country in by_country:
                raise InvalidValue("SHIPPING_RATES", f"gives {country} twice")
            by_country[country] = cents
        return cls(by_country=by_country, every_other_country=every_other, free_over_cents=free_over_cents)

    def ensure_serves(self, country: str) -> None:
        if country not in self.by_country and self.every_other_country is None:
            raise CountryNotServed(country)

    def price_for(self, country: str, lines_total_cents: int) -> int:
        """THE shipping rule: the country's flat price per order, free from the threshold on;
        a country not served is refused."""
        self.ensure_serves(country)
        if self.free_over_cents is not None and lines_total_cents >= self.free_over_cents:
            return 0
        return self.by_country.get(country, self.every_other_country or 0)


DEFAULT_SHIPPING_RATES = ShippingRates(every_other_country=499)
"""The contract's default: `SHIPPING_RATES=*:499`, no free shipping."""
