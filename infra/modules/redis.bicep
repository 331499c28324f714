// Azure Cache for Redis: TLS only, reached through a private endpoint. The
// services take one STELLY_REDIS_URL, so its access key is written to Key
// Vault here and reaches the apps only as a Key Vault secret reference.
param name string
param location string
param tags object
param isProd bool
param keyVaultName string
param privateEndpointSubnetId string
param privateEndpointName string
param vnetId string

resource redis 'Microsoft.Cache/redis@2024-03-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: isProd ? { name: 'Standard', family: 'C', capacity: 1 } : { name: 'Basic', family: 'C', capacity: 0 }
    enableNonSslPort: false
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Disabled'
    redisVersion: '6'
    redisConfiguration: {
      'maxmemory-policy': 'volatile-lru'
    }
  }
}

resource dnsZone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: 'privatelink.redis.cache.windows.net'
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
        properties: { privateLinkServiceId: redis.id, groupIds: ['redisCache'] }
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

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource urlSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41: rewritten from the cache's current key on every provision; an expiry would cut every service off Redis.
  parent: vault
  name: 'redis-url'
  properties: {
    value: 'rediss://:${redis.listKeys().primaryKey}@${redis.properties.hostName}:${redis.properties.sslPort}/0'
    contentType: 'text/plain'
    attributes: { enabled: true }
  }
}

output urlSecretUri string = '${vault.properties.vaultUri}secrets/redis-url'
output urlSecretName string = urlSecret.name
