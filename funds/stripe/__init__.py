"""Stripe: the gateway (`client`, the only importer of the SDK), amounts and webhooks."""
