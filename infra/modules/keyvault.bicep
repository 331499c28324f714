// Key Vault (RBAC only): KZ_SECRET_KEY, the Application Insights connection string
// and the wildcard certificate (Redis has no key: Entra ID).
param name string
param location string
param tags object
param isProd bool
@secure()
param kzSecretKey string
@description('The Application Insights resource (same resource group) whose connection string is kept here as a secret.')
param appInsightsName string
param adminPrincipalId string
param adminPrincipalType string

var secretsOfficer = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7')
var certificatesOfficer = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'a4417e6f-fecd-4de8-b567-7b0420556985')

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: Container Apps resolve Key Vault secret references from the platform, outside the VNet, and operators import the wildcard certificate from their machine; access is RBAC-only, no access policies.
  // checkov:skip=CKV_AZURE_189: same reason: public endpoint kept for Container Apps secret references and Front Door's certificate fetch; every caller needs an Entra role on a single secret.
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: isProd ? 90 : 7
    enablePurgeProtection: true
    // Container Apps resolve secret references and Front Door fetches the
    // certificate from outside the VNet; both are trusted Azure services.
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

resource kzSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(kzSecretKey)) {
  // checkov:skip=CKV_AZURE_41: the JWT signing key is rotated by the operator (azd env set KZ_SECRET_KEY + provision); an expiry date would stop every service at once.
  // checkov:skip=CKV_AZURE_114: contentType is set below; checkov reads no properties of a conditional (if) resource.
  parent: vault
  name: 'kz-secret-key'
  properties: {
    value: kzSecretKey
    contentType: 'text/plain'
    attributes: { enabled: true }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource appInsightsSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41: rotated with the Application Insights resource (its connection string changes only if that is recreated); an expiry date would silently stop telemetry.
  parent: vault
  name: 'appinsights-connection-string'
  properties: {
    value: appInsights.properties.ConnectionString
    contentType: 'text/plain'
    attributes: { enabled: true }
  }
}

resource adminRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in [secretsOfficer, certificatesOfficer]: if (!empty(adminPrincipalId)) {
  name: guid(vault.id, adminPrincipalId, role)
  scope: vault
  properties: {
    roleDefinitionId: role
    principalId: adminPrincipalId
    principalType: adminPrincipalType
  }
}]

output name string = vault.name
output endpoint string = vault.properties.vaultUri
output kzSecretKeyUri string = '${vault.properties.vaultUri}secrets/kz-secret-key'
output appInsightsConnectionStringUri string = '${vault.properties.vaultUri}secrets/appinsights-connection-string'
