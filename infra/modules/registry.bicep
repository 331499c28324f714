// Container Registry: no admin user; the apps pull with their own identity (AcrPull).
param name string
param location string
param tags object
@allowed(['Basic', 'Standard', 'Premium'])
param sku string
param pullPrincipalIds array

var acrPull = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '7f951dda-4ed3-4680-a7ca-43fe172d538d')

resource registry 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
  // checkov:skip=CKV_AZURE_139: images are pushed from GitHub-hosted runners, whose addresses are not fixed; a private registry needs Premium and self-hosted runners. No admin user, no anonymous pull: Entra only.
  // checkov:skip=CKV_AZURE_163: image scanning is Microsoft Defender for Containers, a subscription-level plan enabled outside this template.
  // checkov:skip=CKV_AZURE_166: quarantine needs Premium; images come only from our own CI, tagged by commit SHA.
  name: name
  location: location
  tags: tags
  sku: { name: sku }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    // Images are pushed from GitHub-hosted runners (dynamic addresses): the
    // registry stays reachable, with Entra-only access and no admin user.
    publicNetworkAccess: 'Enabled'
  }
}

resource pulls 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in pullPrincipalIds: {
  name: guid(registry.id, principalId, acrPull)
  scope: registry
  properties: {
    roleDefinitionId: acrPull
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

output name string = registry.name
output loginServer string = registry.properties.loginServer
