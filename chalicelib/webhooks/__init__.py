"""Webhooks (API.md "Machine clients"): endpoints, signing, the stream's fan-out, delivery and retries."""
