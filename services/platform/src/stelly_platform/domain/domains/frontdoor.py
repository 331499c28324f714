"""Custom domains on Azure Front Door: a managed certificate and the tenant routes.

:class:`FrontDoorDomains` is what the domain service needs; :class:`AzureFrontDoor`
does it with ``azure-mgmt-cdn``'s async client (``azure.mgmt.cdn.aio``) as the
service's managed identity (``DefaultAzureCredential``; ``AZURE_CLIENT_ID``
names the user-assigned identity). Tests hand it a fake of that client, since
no test can reach Azure.

Attaching a domain creates (PUT, so repeating it is harmless) the profile's
custom domain with an AFD-managed certificate and TLS 1.2 at least, then adds
it to every tenant route's ``customDomains`` (each route is read and written
back with the domain appended, so the wildcard and other tenants' domains
stay). A deployment writes each route's domain list anew from Bicep (the
wildcard only), so the service puts the verified domains back when it
starts (:meth:`FrontDoorDomains.reattach`, one read per route and one write
per route that lost some). Detaching removes it from the routes first (Front Door refuses to
delete a domain a route still uses), then deletes it. The managed
certificate is issued once Front Door sees its own ``_dnsauth.{domain}`` TXT
record: the token is read from the custom domain's ``validation_properties``
and shown to the operator as one more record.

Invariants: a custom domain's resource name is derived from the host alone
(:func:`resource_name`), so attach, detach and status agree on it across
replicas and restarts; callers serialise attach/detach across replicas
(a route's domain list is read-modify-write).
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

if TYPE_CHECKING:
    from collections.abc import Sequence

    from stelly_platform.config import FrontDoorTarget

__all__ = [
    "DNSAUTH_LABEL",
    "AzureFrontDoor",
    "CertificateStatus",
    "FrontDoorDomains",
    "FrontDoorError",
    "resource_name",
]

DNSAUTH_LABEL = "_dnsauth"
_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


class FrontDoorError(Exception):
    """Front Door (or Azure's API in front of it) refused or failed a change."""


class CertificateStatus(msgspec.Struct, frozen=True):
    """Where Front Door is with a custom domain's managed certificate."""

    #: ``domain_validation_state`` in snake case: ``pending``, ``approved``, ``rejected``...
    state: str
    #: the custom domain's ``deployment_status``: ``not_started``, ``in_progress``, ``succeeded``...
    deployment_status: str | None = None
    #: Front Door's own ``_dnsauth.{domain}`` TXT value, needed for the certificate
    validation_token: str | None = None


class FrontDoorDomains(Protocol):
    """The Front Door side of a tenant's custom domain."""

    async def attach(self, domain: str) -> CertificateStatus:
        """Create the custom domain with a managed certificate and add it to the tenant routes."""
        ...

    async def status(self, domain: str) -> CertificateStatus | None:
        """The certificate's state, or ``None`` when the domain is not on Front Door."""
        ...

    async def detach(self, domain: str) -> None:
        """Remove the domain from the tenant routes, then delete it (no-op when absent)."""
        ...

    async def reattach(self, domains: Sequence[str]) -> int:
        """Put every one of ``domains`` (already on Front Door) back on the tenant routes.

        Returns:
            How many route updates it took (0 when nothing was missing).
        """
        ...

    async def close(self) -> None:
        """Release the client and the credential."""
        ...


def resource_name(domain: str) -> str:
    """The custom domain's resource name for ``domain``: letters, digits, ``-``.

    Dots become ``-`` and a hash of the whole host is appended, so that
    ``a-b.com`` and ``a.b-com`` never share a name.
    """
    digest = hashlib.sha256(domain.encode()).hexdigest()[:10]
    return f"{domain.replace('.', '-')[:200]}-{digest}"


def _snake(value: Any) -> str | None:
    if value is None:
        return None
    text = str(getattr(value, "value", value))
    return _SNAKE.sub("_", text).lower()


def certificate_status(afd_domain: Any) -> CertificateStatus:
    """Read a custom domain (``AFDDomain``) as a :class:`CertificateStatus`."""
    validation = getattr(afd_domain, "validation_properties", None)
    return CertificateStatus(
        state=_snake(getattr(afd_domain, "domain_validation_state", None)) or "unknown",
        deployment_status=_snake(getattr(afd_domain, "deployment_status", None)),
        validation_token=getattr(validation, "validation_token", None) if validation else None,
    )


class AzureFrontDoor:
    """:class:`FrontDoorDomains` on a real Front Door profile.

    Args:
        target: the profile, endpoint and tenant routes.
        client: an ``azure.mgmt.cdn.aio.CdnManagementClient`` (built with the
            managed identity on first use when omitted; tests pass a fake).
    """

    def __init__(self, target: FrontDoorTarget, client: Any = None) -> None:
        self._target = target
        self._client = client
        self._credential: Any = None

    def _cdn(self) -> Any:
        if self._client is None:
            from azure.identity.aio import DefaultAzureCredential
            from azure.mgmt.cdn.aio import CdnManagementClient

            self._credential = DefaultAzureCredential()
            self._client = CdnManagementClient(self._credential, self._target.subscription_id)
        return self._client

    async def attach(self, domain: str) -> CertificateStatus:
        from azure.core.exceptions import AzureError
        from azure.mgmt.cdn.models import AFDDomain, AFDDomainHttpsParameters, AFDDomainProperties

        target, cdn = self._target, self._cdn()
        wanted = AFDDomain(
            properties=AFDDomainProperties(
                host_name=domain,
                tls_settings=AFDDomainHttpsParameters(
                    certificate_type="ManagedCertificate", minimum_tls_version="TLS12"
                ),
            )
        )
        try:
            poller = await cdn.afd_custom_domains.begin_create(
                target.resource_group, target.profile_name, resource_name(domain), wanted
            )
            created = await poller.result()
            for route in target.routes:
                await self._set_route_domain(route, created.id, present=True)
        except AzureError as exc:
            raise FrontDoorError(f"{type(exc).__name__}: {exc}") from exc
        return certificate_status(created)

    async def status(self, domain: str) -> CertificateStatus | None:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        target = self._target
        try:
            found = await self._cdn().afd_custom_domains.get(
                target.resource_group, target.profile_name, resource_name(domain)
            )
        except ResourceNotFoundError:
            return None
        except AzureError as exc:
            raise FrontDoorError(f"{type(exc).__name__}: {exc}") from exc
        return certificate_status(found)

    async def detach(self, domain: str) -> None:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        target, cdn, name = self._target, self._cdn(), resource_name(domain)
        try:
            for route in target.routes:
                await self._set_route_domain(route, f"/customDomains/{name}", present=False)
            try:
                poller = await cdn.afd_custom_domains.begin_delete(
                    target.resource_group, target.profile_name, name
                )
            except ResourceNotFoundError:
                return
            await poller.result()
        except ResourceNotFoundError:
            return
        except AzureError as exc:
            raise FrontDoorError(f"{type(exc).__name__}: {exc}") from exc

    async def reattach(self, domains: Sequence[str]) -> int:
        from azure.core.exceptions import AzureError

        target = self._target
        prefix = (
            f"/subscriptions/{target.subscription_id}/resourceGroups/{target.resource_group}"
            f"/providers/Microsoft.Cdn/profiles/{target.profile_name}/customDomains/"
        )
        wanted = [prefix + resource_name(domain) for domain in domains]
        updates = 0
        try:
            for route_name in target.routes:
                current = await self._route_domains(route_name)
                known = {ref.lower() for ref in current}
                missing = [ref for ref in wanted if ref.lower() not in known]
                if not missing:
                    continue
                await self._put_route_domains(route_name, [*current, *missing])
                updates += 1
        except AzureError as exc:
            raise FrontDoorError(f"{type(exc).__name__}: {exc}") from exc
        return updates

    async def _set_route_domain(self, route_name: str, domain_id: str, *, present: bool) -> None:
        """Add ``domain_id`` to a route's custom domains, or remove every id ending with it."""
        current = await self._route_domains(route_name)
        wanted_suffix = domain_id.lower()
        if present:
            if any(ref.lower() == wanted_suffix for ref in current):
                return
            ids = [*current, domain_id]
        else:
            ids = [ref for ref in current if not ref.lower().endswith(wanted_suffix)]
            if len(ids) == len(current):
                return
        await self._put_route_domains(route_name, ids)

    async def _route_domains(self, route_name: str) -> list[str]:
        """The ids of the custom domains a route serves now."""
        target = self._target
        route = await self._cdn().routes.get(
            target.resource_group, target.profile_name, target.endpoint_name, route_name
        )
        return [ref.id for ref in (route.custom_domains or []) if ref.id]

    async def _put_route_domains(self, route_name: str, ids: Sequence[str]) -> None:
        """Make a route serve exactly these custom domains (waits for Azure to finish)."""
        from azure.mgmt.cdn.models import (
            ActivatedResourceReference,
            RouteUpdateParameters,
            RouteUpdatePropertiesParameters,
        )

        target = self._target
        poller = await self._cdn().routes.begin_update(
            target.resource_group,
            target.profile_name,
            target.endpoint_name,
            route_name,
            RouteUpdateParameters(
                properties=RouteUpdatePropertiesParameters(
                    custom_domains=[ActivatedResourceReference(id=i) for i in ids]
                )
            ),
        )
        await poller.result()

    async def close(self) -> None:
        if self._client is not None and self._credential is not None:
            await self._client.close()
            await self._credential.close()
