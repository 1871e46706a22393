"""Serializer fields shared by the input serializers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A JSON string, and only a string.

    DRF's CharField also takes a number (``{"content": 0}`` becomes ``"0"``): the schema says
    string, and a client that sends a number has a bug it should hear about (400).
    """

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
