"""The one structured JSON logger (Powertools). Request handlers add tenant, request and order ids."""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(service="ordergate")
