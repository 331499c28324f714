// Key Vault Secrets User on each secret an app reads (not on the vault: the
// wildcard certificate lives there too).
param keyVaultName string
param secretNames array
param principalIds array

var secretsUser = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
var pairs = [for i in range(0, length(secretNames) * length(principalIds)): {
  secret: i / length(principalIds)
  principal: principalIds[i % length(principalIds)]
}]

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource secrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' existing = [for name in secretNames: {
  parent: vault
  name: name
}]

resource readers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for pair in pairs: {
  name: guid(vault.id, secretNames[pair.secret], pair.principal, secretsUser)
  scope: secrets[pair.secret]
  properties: {
    roleDefinitionId: secretsUser
    principalId: pair.principal
    principalType: 'ServicePrincipal'
  }
}]
