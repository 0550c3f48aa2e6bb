"""counterfoil: check Anthropic's bill line by line.

Pull an organization's Claude usage and cost from the Admin API into Polars frames, recompute
what every token should have cost from a dated rate card, and reconcile that against the USD of
``cost_report``. Money is ``Decimal(38, 12)`` in USD; timestamps are ``Datetime("us", "UTC")``.
A null ``workspace_id`` is the default workspace; a null ``api_key_id`` is Console use.

    import counterfoil as cf
    with cf.FakeAdminApi(cf.simulate.Organization(seed=7, days=14)) as api:
        client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url)
        usage = client.usage("2026-11-01", "2026-11-08")
"""

from counterfoil import simulate
from counterfoil._native import (
    AdminClient,
    Calibration,
    CloudReconciliation,
    FakeAdminApi,
    RateCard,
    Reconciliation,
    Scenario,
    Store,
    __version__,
    all_spend,
    attribute,
    cache_report,
    forecast,
    notify,
    read_bedrock_invocations,
    read_cur,
    read_gcp_billing,
    reconcile,
    reconcile_analytics,
    reconcile_cloud,
    spend_report,
    suggest_rates,
    to_focus,
    whatif,
)
from counterfoil.exceptions import (
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
from counterfoil.pricing import price

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "AdminClient",
    "AuthenticationError",
    "Calibration",
    "CloudReconciliation",
    "CounterfoilError",
    "FakeAdminApi",
    "InputError",
    "NotificationError",
    "PermissionDeniedError",
    "RateCard",
    "RateCardError",
    "RateCardWarning",
    "RateLimitError",
    "Reconciliation",
    "Scenario",
    "Store",
    "StoreError",
    "__version__",
    "all_spend",
    "attribute",
    "cache_report",
    "forecast",
    "notify",
    "price",
    "read_bedrock_invocations",
    "read_cur",
    "read_gcp_billing",
    "reconcile",
    "reconcile_analytics",
    "reconcile_cloud",
    "simulate",
    "spend_report",
    "suggest_rates",
    "to_focus",
    "whatif",
]
