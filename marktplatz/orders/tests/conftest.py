import pytest

from marktplatz.orders.models import OrderSettings, Product

ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def ordering(town_a, shop_a):
    """Bäckerei Alt takes orders for pickup (every hour, around the clock, two per slot)
    and delivers to 79600 and within 2 km, for a fee of 2.50 above an order of 10.00."""
    shop_a.opening_hours = ALL_DAY
    shop_a.latitude, shop_a.longitude = 47.600000, 7.700000
    shop_a.save()
    rules = OrderSettings.objects.create(
        city=town_a, merchant=shop_a, takes_orders=True, pickup=True, slot_minutes=60,
        orders_per_slot=2, lead_minutes=60, days_ahead=3, delivery=True,
        delivery_postcodes="79600", delivery_radius_m=2000, delivery_fee_minor=250,
        delivery_minimum_minor=1000,
    )  # fmt: skip
    bread = Product.objects.create(city=town_a, merchant=shop_a, name="Bauernbrot", price_minor=450)
    pretzel = Product.objects.create(city=town_a, merchant=shop_a, name="Brezel", price_minor=90)
    return {"rules": rules, "bread": bread, "pretzel": pretzel}
