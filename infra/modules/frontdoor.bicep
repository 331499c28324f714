// Front Door Standard: the edge in Azure, in place of services/gateway.
// Origin groups and routes are generated from routing.json (the gateway's
// table), passed in whole as `routing`; no route pattern is written here.
// Every route writes the original {hostname} into X-Tenant-Host (overwriting
// what a client sent) and sends the origin its own FQDN as Host, because
// Container Apps route by Host and cannot bind *.<baseDomain> (SPEC §2).
// Caching is off on every route; one rule turns it on for GET of the
// storefront menu on the route whose origin is menu. WebSockets need no
// switch on Standard/Premium; the realtime route never caches or compresses.
// A route with `hosts` in routing.json (the platform console's: console.*)
// serves only the console's own custom domain, console.<baseDomain>: Front
// Door picks the most specific domain, so that host never takes the tenant
// routes of the wildcard, and the console's routes are on no other domain.
// Without a custom domain (no certificate yet) the console's routes are not
// created. The endpoint itself is made with the profile (frontdoor-profile.bicep).
param profileName string
param endpointName string
@description('The parsed routing.json.')
param routing object
@description('Origin name (routing.json) -> the host Front Door connects to and sends as Host.')
param originHosts object
param baseDomain string
param keyVaultName string
param wildcardCertificateName string

var useCustomDomain = !empty(wildcardCertificateName)
var secretsUser = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
// The one response Front Door may cache: the public storefront menu (strong
// ETag, Cache-Control from the menu service). AFD's UrlPath operand has no
// leading slash; both spellings are listed so the rule cannot silently miss.
var cachedMenuPaths = ['api/v1/store/menu', '/api/v1/store/menu']
var originList = [for origin in items(routing.origins): origin]

resource profile 'Microsoft.Cdn/profiles@2024-09-01' existing = {
  name: profileName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource certificateSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' existing = if (useCustomDomain) {
  parent: vault
  name: wildcardCertificateName
}

resource certificateReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useCustomDomain) {
  name: guid(vault.id, wildcardCertificateName, profile.id, secretsUser)
  scope: certificateSecret
  properties: {
    roleDefinitionId: secretsUser
    principalId: profile.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource endpoint 'Microsoft.Cdn/profiles/afdEndpoints@2024-09-01' existing = {
  parent: profile
  name: endpointName
}

resource wildcardSecret 'Microsoft.Cdn/profiles/secrets@2024-09-01' = if (useCustomDomain) {
  parent: profile
  name: 'wildcard-certificate'
  properties: {
    parameters: {
      type: 'CustomerCertificate'
      secretSource: { id: certificateSecret.id }
      useLatestVersion: true
    }
  }
  dependsOn: [certificateReader]
}

resource wildcardDomain 'Microsoft.Cdn/profiles/customDomains@2024-09-01' = if (useCustomDomain) {
  parent: profile
  name: 'wildcard'
  properties: {
    hostName: '*.${baseDomain}'
    tlsSettings: {
      certificateType: 'CustomerCertificate'
      minimumTlsVersion: 'TLS12'
      secret: { id: wildcardSecret.id }
    }
  }
}

resource consoleDomain 'Microsoft.Cdn/profiles/customDomains@2024-09-01' = if (useCustomDomain) {
  parent: profile
  name: 'console'
  properties: {
    hostName: 'console.${baseDomain}'
    tlsSettings: {
      certificateType: 'CustomerCertificate'
      minimumTlsVersion: 'TLS12'
      secret: { id: wildcardSecret.id }
    }
  }
}

resource originGroups 'Microsoft.Cdn/profiles/originGroups@2024-09-01' = [for origin in originList: {
  parent: profile
  name: 'og-${origin.key}'
  properties: {
    loadBalancingSettings: { sampleSize: 4, successfulSamplesRequired: 3, additionalLatencyInMilliseconds: 50 }
    healthProbeSettings: {
      probePath: origin.value.?health ?? '/'
      probeRequestType: (origin.value.?static ?? false) ? 'HEAD' : 'GET'
      probeProtocol: 'Https'
      probeIntervalInSeconds: 30
    }
    sessionAffinityState: 'Disabled'
  }
}]

resource origins 'Microsoft.Cdn/profiles/originGroups/origins@2024-09-01' = [for (origin, i) in originList: {
  parent: originGroups[i]
  name: origin.key
  properties: {
    hostName: originHosts[origin.key]
    originHostHeader: originHosts[origin.key]
    httpPort: 80
    httpsPort: 443
    priority: 1
    weight: 1000
    enabledState: 'Enabled'
    enforceCertificateNameCheck: true
  }
}]

resource edgeHeaders 'Microsoft.Cdn/profiles/ruleSets@2024-09-01' = {
  parent: profile
  name: 'edgeheaders'
}

resource tenantHost 'Microsoft.Cdn/profiles/ruleSets/rules@2024-09-01' = {
  parent: edgeHeaders
  name: 'tenanthost'
  properties: {
    order: 1
    conditions: []
    actions: [
      {
        name: 'ModifyRequestHeader'
        parameters: {
          typeName: 'DeliveryRuleHeaderActionParameters'
          headerAction: 'Overwrite'
          headerName: 'X-Tenant-Host'
          value: '{hostname}'
        }
      }
    ]
    matchProcessingBehavior: 'Continue'
  }
}

resource menuCache 'Microsoft.Cdn/profiles/ruleSets@2024-09-01' = {
  parent: profile
  name: 'menucache'
}

resource cacheMenuGet 'Microsoft.Cdn/profiles/ruleSets/rules@2024-09-01' = {
  parent: menuCache
  name: 'cachestorefrontmenu'
  properties: {
    order: 1
    conditions: [
      {
        name: 'RequestMethod'
        parameters: {
          typeName: 'DeliveryRuleRequestMethodConditionParameters'
          operator: 'Equal'
          matchValues: ['GET']
          negateCondition: false
        }
      }
      {
        name: 'UrlPath'
        parameters: {
          typeName: 'DeliveryRuleUrlPathMatchConditionParameters'
          operator: 'Equal'
          matchValues: cachedMenuPaths
          negateCondition: false
          transforms: ['Lowercase']
        }
      }
    ]
    actions: [
      {
        name: 'RouteConfigurationOverride'
        parameters: {
          typeName: 'DeliveryRuleRouteConfigurationOverrideActionParameters'
          cacheConfiguration: {
            cacheBehavior: 'HonorOrigin'
            queryStringCachingBehavior: 'IgnoreQueryString'
            isCompressionEnabled: 'Enabled'
          }
        }
      }
    ]
    matchProcessingBehavior: 'Stop'
  }
}

resource routes 'Microsoft.Cdn/profiles/afdEndpoints/routes@2024-09-01' = [for route in routing.routes: if (useCustomDomain || !contains(route, 'hosts')) {
  parent: endpoint
  name: route.name
  properties: {
    originGroup: { id: resourceId('Microsoft.Cdn/profiles/originGroups', profile.name, 'og-${route.origin}') }
    patternsToMatch: route.patterns
    supportedProtocols: ['Http', 'Https']
    httpsRedirect: 'Enabled'
    forwardingProtocol: 'HttpsOnly'
    linkToDefaultDomain: contains(route, 'hosts') ? 'Disabled' : 'Enabled'
    customDomains: useCustomDomain ? [{ id: contains(route, 'hosts') ? consoleDomain.id : wildcardDomain.id }] : []
    ruleSets: route.origin == 'menu' ? [{ id: edgeHeaders.id }, { id: menuCache.id }] : [{ id: edgeHeaders.id }]
    // No cacheConfiguration: caching is off unless the menu rule turns it on.
    enabledState: 'Enabled'
  }
  dependsOn: [origins, tenantHost, cacheMenuGet]
}]

output endpointHostName string = endpoint.properties.hostName
