// Azure Managed Redis (Microsoft.Cache/redisEnterprise + its `default`
// database): TLS on port 10000, reached only through a private endpoint, no
// access key at all. Each app's managed identity gets the `default` access
// policy (full data access) as an Entra user; the services authenticate with
// a token (STELLY_REDIS_AUTH=entra), so there is nothing to put in Key Vault.
// Clustering policy and SKU per environment: infra/README.md, "Redis".
param name string
param location string
param tags object
param isProd bool
param privateEndpointSubnetId string
param privateEndpointName string
param vnetId string
@description('Object ids (principal ids) of the managed identities that use Redis.')
param dataPrincipalIds array

resource cluster 'Microsoft.Cache/redisEnterprise@2025-07-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: isProd ? 'Balanced_B1' : 'Balanced_B0' }
  properties: {
    // prod: a replica in another zone where the region has zones; dev: one node
    highAvailability: isProd ? 'Enabled' : 'Disabled'
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Disabled'
  }
}

resource database 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {
  parent: cluster
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    clusteringPolicy: 'EnterpriseCluster'
    evictionPolicy: 'VolatileLRU'
    accessKeysAuthentication: 'Disabled'
  }
}

// One Entra user per app identity, with the built-in `default` access policy.
// Assignments of one database are made one at a time.
@batchSize(1)
resource dataAccess 'Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments@2025-07-01' = [for (principalId, i) in dataPrincipalIds: {
  parent: database
  name: 'app${i}'
  properties: {
    accessPolicyName: 'default'
    user: { objectId: principalId }
  }
}]

resource dnsZone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: 'privatelink.redis.azure.net'
  location: 'global'
  tags: tags
}

resource dnsLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = {
  parent: dnsZone
  name: 'redis-vnet'
  location: 'global'
  properties: {
    virtualNetwork: { id: vnetId }
    registrationEnabled: false
  }
}

resource endpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: privateEndpointName
  location: location
  tags: tags
  properties: {
    subnet: { id: privateEndpointSubnetId }
    privateLinkServiceConnections: [
      {
        name: 'redis'
        properties: { privateLinkServiceId: cluster.id, groupIds: ['redisEnterprise'] }
      }
    ]
  }
}

resource endpointDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [{ name: 'redis', properties: { privateDnsZoneId: dnsZone.id } }]
  }
}

@description('What the services take as STELLY_REDIS_URL: no credentials in it (Entra ID).')
output url string = 'rediss://${cluster.properties.hostName}:${database.properties.port}'
output hostName string = cluster.properties.hostName
