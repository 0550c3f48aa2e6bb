"""The exception hierarchy, named like the official Anthropic SDK's.

``CounterfoilError`` is the base of everything counterfoil raises. API errors carry
``status_code``, ``error_type``, ``request_id``, ``message`` and ``hint`` attributes; every error
carries ``hint`` (``None`` when there is nothing to add). The API key never appears in any of them.
"""

from counterfoil._native import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    CounterfoilError,
    InputError,
    NotificationError,
    PermissionDeniedError,
    RateCardError,
    RateCardWarning,
    RateLimitError,
    StoreError,
)

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "AuthenticationError",
    "CounterfoilError",
    "InputError",
    "NotificationError",
    "PermissionDeniedError",
    "RateCardError",
    "RateCardWarning",
    "RateLimitError",
    "StoreError",
]
