// The Front Door profile and its endpoint on their own, so that the
// profile's frontDoorId (STELLY_FRONTDOOR_ID) and the endpoint's host (the
// CNAME target the console shows for custom domains) reach the apps before
// the routes that point at them exist. The platform service's identity may
// manage the profile's custom domains and routes (CDN Profile Contributor on
// this profile only: CDN Endpoint Contributor covers classic CDN endpoints,
// profiles/endpoints/*, not Front Door's profiles/customDomains or
// profiles/afdEndpoints/routes; the Front Door Domain Contributor role is
// for Azure's internal use and cannot update a route).
param name string
param tags object
param keyVaultName string
param endpointName string
@description('Principals that add and remove the custom domains of tenants (the platform service).')
param domainManagerPrincipalIds array = []

var cdnProfileContributor = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ec156ff8-a8d1-4d15-830c-5b80698ca432')

resource profile 'Microsoft.Cdn/profiles@2024-09-01' = {
  name: name
  location: 'global'
  tags: tags
  sku: { name: 'Standard_AzureFrontDoor' }
  // Reads the wildcard certificate from Key Vault (frontdoor.bicep grants it).
  identity: { type: 'SystemAssigned' }
  properties: {
    originResponseTimeoutSeconds: 60
  }
}

resource endpoint 'Microsoft.Cdn/profiles/afdEndpoints@2024-09-01' = {
  parent: profile
  name: endpointName
  location: 'global'
  tags: tags
  properties: { enabledState: 'Enabled' }
}

resource domainManagers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in domainManagerPrincipalIds: {
  name: guid(profile.id, principalId, cdnProfileContributor)
  scope: profile
  properties: {
    roleDefinitionId: cdnProfileContributor
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

output id string = profile.id
output name string = profile.name
output endpointName string = endpoint.name
output endpointHostName string = endpoint.properties.hostName
output frontDoorId string = profile.properties.frontDoorId
output principalId string = profile.identity.principalId
output keyVaultName string = keyVaultName
