"""{% wallet_buttons %}: "Add to Apple Wallet / Google Wallet" where the town offers them."""

from django import template

from marktplatz.wallet import passes

register = template.Library()


@register.inclusion_tag("wallet/_buttons.html", takes_context=True)
def wallet_buttons(context):
    city = context["request"].city
    return {"apple": passes.apple_enabled(city), "google": passes.google_enabled(city)}
