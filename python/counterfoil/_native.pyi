"""Type stubs of the compiled module (checked with mypy.stubtest)."""

import datetime
from decimal import Decimal
from os import PathLike
from typing import Any, final

import polars as pl

__version__: str
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
    "Organization",
    "PermissionDeniedError",
    "PriceSource",
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
    "check_notify",
    "cloud_bills",
    "forecast",
    "notify",
    "notify_failure",
    "price",
    "read_bedrock_invocations",
    "read_cur",
    "read_gcp_billing",
    "reconcile",
    "reconcile_analytics",
    "reconcile_cloud",
    "reconciliation_metrics",
    "run_cli",
    "spend_report",
    "suggest_rates",
    "sync_metrics",
    "to_focus",
    "whatif",
    "write_metrics",
]

_When = str | datetime.date | datetime.datetime
#: Every function that reads a usage or cost frame takes it eagerly or lazily.
_Frame = pl.DataFrame | pl.LazyFrame

@final
class AdminClient:
    def __new__(
        cls,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        max_retries: int = 2,
        concurrency: int = 4,
        timeout: float = 45.0,
        now: _When | None = None,
    ) -> AdminClient: ...
    def usage(
        self,
        start: _When,
        end: _When,
        bucket_width: str = "1d",
        group_by: list[str] | None = None,
        *,
        api_key_ids: list[str] | None = None,
        workspace_ids: list[str] | None = None,
        account_ids: list[str] | None = None,
        service_account_ids: list[str] | None = None,
        models: list[str] | None = None,
        service_tiers: list[str] | None = None,
        context_windows: list[str] | None = None,
        inference_geos: list[str] | None = None,
        speeds: list[str] | None = None,
    ) -> pl.DataFrame: ...
    def cost(self, start: _When, end: _When, group_by: list[str] | None = None) -> pl.DataFrame: ...
    def analytics_usage(
        self,
        start: _When,
        end: _When,
        group_by: list[str] | None = None,
        bucket_width: str | None = None,
        *,
        exclude_deleted_users: bool = False,
        **filters: str | list[str],
    ) -> pl.DataFrame: ...
    def analytics_cost(
        self,
        start: _When,
        end: _When,
        group_by: list[str] | None = None,
        bucket_width: str | None = None,
        *,
        exclude_deleted_users: bool = False,
        **filters: str | list[str],
    ) -> pl.DataFrame: ...
    def claude_code(self, start: _When, end: _When, *, by_model: bool = False) -> pl.DataFrame: ...
    def reconcile(
        self,
        start: _When,
        end: _When,
        card: RateCard | None = None,
        *,
        abs_tol: Decimal | str | int | float | None = None,
        rel_tol: Decimal | str | int | float | None = None,
        source: str = "legacy",
        by_api_key: bool = False,
    ) -> Reconciliation: ...
    def workspaces(self) -> pl.DataFrame: ...
    def api_keys(self) -> pl.DataFrame: ...
    def organization(self) -> dict[str, Any]: ...
    @property
    def base_url(self) -> str: ...

@final
class Organization:
    def __new__(
        cls,
        seed: int = 7,
        days: int = 14,
        today: _When | None = None,
        *,
        plants: str | list[str] | None = None,
        cost_null: list[str] | None = None,
        contract: str | None = None,
        lag: bool = False,
    ) -> Organization: ...
    @property
    def seed(self) -> int: ...
    @property
    def days(self) -> int: ...
    @property
    def window(self) -> tuple[datetime.datetime, datetime.datetime]: ...
    def usage_records(self) -> pl.DataFrame: ...
    def cost_lines(self) -> pl.DataFrame: ...
    def planted(self) -> pl.DataFrame: ...

@final
class FakeAdminApi:
    def __new__(
        cls,
        organization: Organization | list[Organization] | None = None,
        *,
        port: int = 0,
        latency_ms: int = 0,
        rate_limit_every: int = 0,
        retry_after_ms: int = 1000,
        error_every: int = 0,
        error_status: int = 500,
    ) -> FakeAdminApi: ...
    @property
    def base_url(self) -> str: ...
    @property
    def api_key(self) -> str: ...
    @property
    def api_keys(self) -> list[str]: ...
    @property
    def request_count(self) -> int: ...
    @property
    def regular_key(self) -> str: ...
    def stop(self) -> None: ...
    @property
    def now(self) -> datetime.datetime: ...
    def set_now(self, now: _When) -> None: ...
    def set_outage(self, start: _When | None, end: _When | None) -> None: ...
    def revoke_keys(self) -> None: ...
    def fix(self, day: _When) -> bool: ...
    def rebreak(self, day: _When) -> None: ...
    def restate(self, day: _When, share: float = 0.05) -> int: ...
    def set_analytics_spelling(self, request_key: str = "requests", flat: bool = False) -> None: ...
    def organization(self) -> Organization: ...
    def __enter__(self) -> FakeAdminApi: ...
    def __exit__(self, *_args: object) -> bool: ...

@final
class RateCard:
    @staticmethod
    def default() -> RateCard: ...
    @staticmethod
    def load(path: str | PathLike[str]) -> RateCard: ...
    @staticmethod
    def from_toml(text: str, origin: str = "<string>") -> RateCard: ...
    def to_frame(self) -> pl.DataFrame: ...
    def to_toml(self) -> str: ...
    @property
    def as_of(self) -> datetime.date | None: ...
    @property
    def warnings(self) -> list[str]: ...

@final
class Reconciliation:
    @property
    def lines(self) -> pl.DataFrame: ...
    @property
    def discrepancies(self) -> pl.DataFrame: ...
    @property
    def findings(self) -> pl.DataFrame: ...
    @property
    def summary(self) -> dict[str, Any]: ...
    @property
    def ok(self) -> bool: ...
    @property
    def exit_code(self) -> int: ...
    def to_json(self, path: str | PathLike[str] | None = None) -> str | None: ...
    def to_html(self, path: str | PathLike[str] | None = None, title: str = ...) -> str | None: ...
    def to_csv(self, path: str | PathLike[str]) -> None: ...
    def to_parquet(self, path: str | PathLike[str]) -> None: ...
    def _repr_html_(self) -> str: ...
    def plot(self, by: str = "date", ax: Any = None) -> Any: ...

@final
class Store:
    def __new__(cls, path: str | PathLike[str]) -> Store: ...
    def sync(
        self,
        client: AdminClient | None = None,
        backfill_days: int = 14,
        restate_days: int = 3,
        settle_hours: int = 24,
    ) -> dict[str, Any]: ...
    def usage(self, start: _When | None = None, end: _When | None = None) -> pl.LazyFrame: ...
    def cost(self, start: _When | None = None, end: _When | None = None) -> pl.LazyFrame: ...
    def restatements(self) -> pl.DataFrame: ...
    def findings(self) -> pl.DataFrame: ...
    def finding_events(self) -> pl.DataFrame: ...
    def reconcile(
        self,
        start: _When,
        end: _When,
        card: RateCard | None = None,
        *,
        abs_tol: Decimal | str | int | float | None = None,
        rel_tol: Decimal | str | int | float | None = None,
        notify: list[str] | None = None,
    ) -> Reconciliation: ...
    @property
    def path(self) -> str: ...

def reconcile(
    usage: _Frame,
    cost: _Frame,
    card: RateCard | None = None,
    *,
    abs_tol: Decimal | str | int | float | None = None,
    rel_tol: Decimal | str | int | float | None = None,
    start: _When | None = None,
    end: _When | None = None,
    workspaces: pl.DataFrame | None = None,
) -> Reconciliation: ...
def to_focus(
    rec: Reconciliation | None,
    cloud: CloudReconciliation | None = None,
    version: str = "1.2",
    *,
    organization_id: str | None = None,
) -> pl.DataFrame: ...
def reconcile_analytics(
    usage: _Frame,
    cost: _Frame,
    card: RateCard | None = None,
    *,
    abs_tol: Decimal | str | int | float | None = None,
    rel_tol: Decimal | str | int | float | None = None,
    start: _When | None = None,
    end: _When | None = None,
    workspaces: pl.DataFrame | None = None,
    by_api_key: bool = False,
) -> Reconciliation: ...

@final
class Calibration:
    @property
    def toml(self) -> str: ...
    def frame(self) -> pl.DataFrame: ...
    def apply(self) -> RateCard: ...
    def __len__(self) -> int: ...

def suggest_rates(reconciliation: Reconciliation, card: RateCard | None = None) -> Calibration: ...
def run_cli(argv: list[str]) -> int: ...
def cloud_bills(
    dir: str | PathLike[str],
    seed: int = 7,
    days: int = 14,
    end: _When | None = None,
    *,
    plants: bool = True,
) -> dict[str, Any]: ...
def price(usage: _Frame, card: RateCard | None = None) -> pl.DataFrame: ...

@final
class PriceSource:
    def __new__(cls, usage: _Frame, card: RateCard | None = None) -> PriceSource: ...
    @property
    def height(self) -> int: ...
    def batch(self, offset: int, length: int, columns: list[str] | None = None) -> pl.DataFrame: ...

class CounterfoilError(Exception):
    hint: str | None
    exit_code: int

class APIStatusError(CounterfoilError):
    hint: str | None
    exit_code: int
    status_code: int
    error_type: str | None
    request_id: str | None
    message: str

class AuthenticationError(APIStatusError):
    hint: str | None
    exit_code: int

class PermissionDeniedError(APIStatusError):
    hint: str | None
    exit_code: int

class RateLimitError(APIStatusError):
    hint: str | None
    exit_code: int

class APIConnectionError(CounterfoilError):
    hint: str | None
    exit_code: int

class NotificationError(CounterfoilError):
    hint: str | None
    exit_code: int
    acknowledged: int

class APIResponseValidationError(CounterfoilError):
    hint: str | None
    exit_code: int

class RateCardError(CounterfoilError):
    hint: str | None
    exit_code: int

class InputError(CounterfoilError):
    hint: str | None
    exit_code: int

class StoreError(CounterfoilError):
    hint: str | None
    exit_code: int

class RateCardWarning(UserWarning): ...

def attribute(
    usage: _Frame,
    cost: _Frame,
    card: RateCard | None = None,
    *,
    workspaces: pl.DataFrame | None = None,
    api_keys: pl.DataFrame | None = None,
    by: list[str] | None = None,
    start: _When | None = None,
    end: _When | None = None,
) -> pl.DataFrame: ...
def cache_report(
    usage: _Frame,
    card: RateCard | None = None,
    by: list[str] | None = None,
    *,
    start: _When | None = None,
    end: _When | None = None,
) -> pl.DataFrame: ...

@final
class Scenario:
    def __new__(
        cls,
        *,
        swap_models: dict[str, str] | None = None,
        batch_share: Decimal | str | int | float | None = None,
        cache_ttl: str | None = None,
        inference_geo: str | None = None,
        price_date: _When | None = None,
        discount_factor: Decimal | str | int | float | None = None,
        where: dict[str, str | list[str | None] | None] | None = None,
    ) -> Scenario: ...

def whatif(
    usage: _Frame,
    scenario: Scenario,
    card: RateCard | None = None,
    by: list[str] | None = None,
    *,
    start: _When | None = None,
    end: _When | None = None,
) -> pl.DataFrame: ...
def forecast(
    cost: _Frame,
    month: str | None = None,
    budget_usd: Decimal | str | int | None = None,
    today: _When | None = None,
    *,
    start: _When | None = None,
    end: _When | None = None,
    settle_hours: int = 24,
) -> dict[str, Any]: ...
def spend_report(
    usage: _Frame,
    cost: _Frame,
    start: _When,
    end: _When,
    card: RateCard | None = None,
    *,
    workspaces: pl.DataFrame | None = None,
    api_keys: pl.DataFrame | None = None,
    scenario: Scenario | None = None,
    budget_usd: Decimal | str | int | None = None,
    today: _When | None = None,
    path: str | PathLike[str] | None = None,
    cloud: CloudReconciliation | None = None,
) -> str | None: ...
def notify(reconciliation: Reconciliation, notify: list[str], *, store: Store | None = None) -> int: ...
def check_notify(notify: list[str]) -> list[str]: ...
def notify_failure(
    job: str,
    error: BaseException,
    notify: list[str],
    *,
    store: Store | None = None,
    organization: tuple[str, str] | None = None,
    start: _When | None = None,
    end: _When | None = None,
) -> int: ...
def reconciliation_metrics(
    reconciliation: Reconciliation,
    *,
    command: str = "reconcile",
    org: str | None = None,
    at: _When | None = None,
) -> str: ...
def sync_metrics(
    store: Store,
    summary: dict[str, Any],
    *,
    command: str = "sync",
    org: str | None = None,
    at: _When | None = None,
) -> str: ...
def write_metrics(path: str | PathLike[str], parts: list[str], *, command: str, keep: list[str] = ...) -> None: ...

_Paths = str | PathLike[str] | list[str | PathLike[str]]

def read_cur(source: _Paths | _Frame, *, card: RateCard | None = None) -> pl.DataFrame: ...
def read_gcp_billing(source: _Paths | _Frame, *, card: RateCard | None = None) -> pl.DataFrame: ...
def read_bedrock_invocations(path: list[str | PathLike[str]], *, card: RateCard | None = None) -> pl.DataFrame: ...

@final
class CloudReconciliation:
    @property
    def lines(self) -> pl.DataFrame: ...
    @property
    def summary(self) -> dict[str, Any]: ...
    @property
    def findings(self) -> list[dict[str, Any]]: ...
    @property
    def ok(self) -> bool: ...
    @property
    def exit_code(self) -> int: ...
    def text(self, width: int = 80) -> str: ...
    def to_json(self, path: str | PathLike[str] | None = None) -> str | None: ...
    def to_html(self, path: str | PathLike[str] | None = None) -> str | None: ...
    def to_csv(self, path: str | PathLike[str]) -> None: ...
    def to_parquet(self, path: str | PathLike[str]) -> None: ...

def reconcile_cloud(
    lines: _Frame | None = None,
    *,
    cur: list[str | PathLike[str]] | None = None,
    gcp: list[str | PathLike[str]] | None = None,
    invocations: list[str | PathLike[str]] | None = None,
    start: _When | None = None,
    end: _When | None = None,
    card: RateCard | None = None,
    abs_tol: Decimal | str | int | float | None = None,
    rel_tol: Decimal | str | int | float | None = None,
) -> CloudReconciliation: ...
def all_spend(rec: Reconciliation | None = None, cloud: CloudReconciliation | None = None) -> pl.DataFrame: ...
