"""Credentials per host: explicit ones, ``ARCHIVE_FED_TOKEN_<HOST>`` / ``ARCHIVE_FED_USER_<HOST>`` +
``ARCHIVE_FED_PASSWORD_<HOST>`` environment variables, then netrc; each only ever sent to its own host.

``<HOST>`` is the host name upper-cased with every non-alphanumeric character replaced by ``_``.

Examples
--------
>>> env_host("pds-imaging.jpl.nasa.gov")
'PDS_IMAGING_JPL_NASA_GOV'
>>> Credentials({"h": "tok"}).auth_for("h")
<bearer token ***>
"""
from __future__ import annotations

import logging
import netrc
import os
import threading
from collections.abc import Mapping
from typing import Union

import requests
from requests.auth import AuthBase, HTTPBasicAuth

__all__ = ["Credential", "Credentials", "BearerAuth", "BasicAuth", "NoAuth", "NO_AUTH", "env_host"]

log = logging.getLogger("archive_fed.transport")

Credential = Union[str, "tuple[str, str]"]


class BearerAuth(AuthBase):
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "<bearer token ***>"


class BasicAuth(HTTPBasicAuth):
    def __repr__(self) -> str:
        return "<basic auth ***>"


class NoAuth(AuthBase):
    """Passed explicitly so requests never looks credentials up on its own (we decide per host)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


NO_AUTH = NoAuth()


def env_host(host: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in host.upper())


class Credentials:
    """Credentials per host name: an explicit mapping, else environment variables, else netrc."""

    def __init__(self, explicit: Mapping[str, Credential] | bool | None) -> None:
        self._explicit = ({k.lower(): v for k, v in explicit.items()}
                          if isinstance(explicit, Mapping) else None)
        self._enabled = explicit is not False
        self._cache: dict[str, AuthBase | None] = {}
        self._lock = threading.Lock()
        #: given for one host at run time (``user:password@`` in a source URL): they win over the rest
        self.added: dict[str, Credential] = {}
        #: secret query parameters for one host (``?token=`` in a source URL), added to its requests only
        self.params: dict[str, list[tuple[str, str]]] = {}

    def add(self, host: str, credential: Credential) -> None:
        with self._lock:
            self.added[host.lower()] = credential

    def add_params(self, host: str, params: list[tuple[str, str]]) -> None:
        with self._lock:
            self.params[host.lower()] = list(params)

    def params_for(self, host: str) -> list[tuple[str, str]]:
        return self.params.get(host.lower(), [])

    def __repr__(self) -> str:
        if not self._enabled:
            return "<credentials: none>"
        if self._explicit is not None:
            return f"<credentials: {len(self._explicit)} host(s), masked>"
        return "<credentials: env/netrc, masked>"

    def auth_for(self, host: str) -> AuthBase | None:
        added = self.added.get(host)
        if added is not None:
            return BearerAuth(added) if isinstance(added, str) else BasicAuth(*added)
        if not self._enabled or not host:
            return None
        with self._lock:
            if host not in self._cache:
                self._cache[host] = self._lookup(host)
            return self._cache[host]

    def _lookup(self, host: str) -> AuthBase | None:
        if self._explicit is not None:
            value = self._explicit.get(host)
            if value is None:
                return None
            return BearerAuth(value) if isinstance(value, str) else BasicAuth(*value)
        key = env_host(host)
        token = os.environ.get(f"ARCHIVE_FED_TOKEN_{key}")
        if token:
            return BearerAuth(token)
        user = os.environ.get(f"ARCHIVE_FED_USER_{key}")
        password = os.environ.get(f"ARCHIVE_FED_PASSWORD_{key}")
        if user and password is not None:
            return BasicAuth(user, password)
        return self._from_netrc(host)

    @staticmethod
    def _from_netrc(host: str) -> AuthBase | None:
        path = os.environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
        if not os.path.isfile(path):
            return None
        try:
            entry = netrc.netrc(path).authenticators(host)
        except (netrc.NetrcParseError, OSError) as exc:
            # The parse error message may quote the file's content: log only where it failed.
            log.warning("ignoring unreadable netrc file %s (%s)", path, type(exc).__name__)
            return None
        if not entry:
            return None
        login, _, password = entry
        return BasicAuth(login or "", password or "")


