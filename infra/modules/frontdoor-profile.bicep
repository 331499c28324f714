// The Front Door profile on its own, so that its frontDoorId can reach the
// apps (STELLY_FRONTDOOR_ID) before the routes that point at them exist.
param name string
param tags object
param keyVaultName string

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

output name string = profile.name
output frontDoorId string = profile.properties.frontDoorId
output principalId string = profile.identity.principalId
output keyVaultName string = keyVaultName
