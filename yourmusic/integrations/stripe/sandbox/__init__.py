"""Stripe-compatible sandbox server for tests and local development.

The official `stripe` SDK can talk to it over HTTP (point `base_addresses={"api": url}` at it).
"""

from yourmusic.integrations.stripe.sandbox.app import SandboxState, create_app, decode_form, sign_payload

__all__ = ["SandboxState", "create_app", "decode_form", "sign_payload"]
