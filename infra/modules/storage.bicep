// Blob Storage for images: container stelly-assets with anonymous read of
// blobs (the menu's image URLs are public) for the WebP variants, and the
// private container stelly-originals for uploads as received (they still
// carry EXIF metadata). HTTPS only, TLS 1.2, no shared keys (media and worker
// write with their identities).
param name string
param location string
param tags object
param isProd bool
param blobContributorPrincipalIds array

var blobContributor = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
var assetsContainer = 'stelly-assets'
var originalsContainer = 'stelly-originals'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35: browsers fetch menu images straight from stelly-assets (SPEC §3, public URLs); a deny-by-default firewall would block them.
  // checkov:skip=CKV_AZURE_59: anonymous read of blobs in stelly-assets is the product (public image URLs); writes need Entra roles, shared keys are off.
  // checkov:skip=CKV_AZURE_206: replicated: ZRS in prod; dev takes LRS on purpose (cost), its images can be regenerated.
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: isProd ? 'Standard_ZRS' : 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: true
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
    encryption: {
      requireInfrastructureEncryption: true
      keySource: 'Microsoft.Storage'
      services: {
        blob: { enabled: true, keyType: 'Account' }
        file: { enabled: true, keyType: 'Account' }
        queue: { enabled: true, keyType: 'Account' }
        table: { enabled: true, keyType: 'Account' }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: 7 }
    containerDeleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

resource assets 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  // checkov:skip=CKV_AZURE_34: public blob read (not container listing) is required: image variant URLs are served to anonymous customers.
  parent: blobService
  name: assetsContainer
  properties: {
    publicAccess: 'Blob'
  }
}

resource originals 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: originalsContainer
  properties: {
    publicAccess: 'None'
  }
}

resource contributors 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in blobContributorPrincipalIds: {
  name: guid(account.id, principalId, blobContributor)
  scope: account
  properties: {
    roleDefinitionId: blobContributor
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output assetsContainer string = assets.name
output originalsContainer string = originals.name
