// PostgreSQL Flexible Server in the VNet (delegated subnet, private DNS),
// Entra authentication only. The migration job's identity is the Entra
// administrator (it creates and owns the tenant schemas); the apps' identities
// are created as database roles after provisioning (infra/README.md).
// Built-in PgBouncer (port 6432, transaction mode) needs General Purpose or
// Memory Optimized: on in prod, off on dev's Burstable SKU.
// PostgreSQL 18: the newest major Azure offers as generally available, and the
// major of the embedded server that `make run` / `make test` use and of the
// compose image (tests/test_deploy_files.py holds the three equal). '18' is in
// the server's version enum from API 2025-08-01 on (2024-08-01 stops at '16').
param name string
param location string
param tags object
param isProd bool
param subnetId string
param vnetId string
param adminIdentityName string
param adminPrincipalId string
param databaseName string = 'stelly'

var pgbouncerEnabled = isProd

resource dnsZone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: '${name}.private.postgres.database.azure.com'
  location: 'global'
  tags: tags
}

resource dnsLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = {
  parent: dnsZone
  name: 'postgres-vnet'
  location: 'global'
  properties: {
    virtualNetwork: { id: vnetId }
    registrationEnabled: false
  }
}

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01' = {
  name: name
  location: location
  tags: tags
  sku: isProd ? { name: 'Standard_D2ds_v5', tier: 'GeneralPurpose' } : { name: 'Standard_B1ms', tier: 'Burstable' }
  properties: {
    version: '18'
    storage: { storageSizeGB: isProd ? 128 : 32, autoGrow: 'Enabled' }
    backup: {
      backupRetentionDays: isProd ? 35 : 7
      geoRedundantBackup: isProd ? 'Enabled' : 'Disabled'
    }
    highAvailability: { mode: isProd ? 'ZoneRedundant' : 'Disabled' }
    network: {
      delegatedSubnetResourceId: subnetId
      privateDnsZoneArmResourceId: dnsZone.id
      publicNetworkAccess: 'Disabled'
    }
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      passwordAuth: 'Disabled'
      tenantId: tenant().tenantId
    }
  }
  dependsOn: [dnsLink]
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: databaseName
  properties: { charset: 'UTF8', collation: 'en_US.utf8' }
}

resource admin 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = {
  parent: server
  name: adminPrincipalId
  properties: {
    principalType: 'ServicePrincipal'
    principalName: adminIdentityName
    tenantId: tenant().tenantId
  }
  dependsOn: [database]
}

resource pgbouncer 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = if (pgbouncerEnabled) {
  parent: server
  name: 'pgbouncer.enabled'
  properties: { value: 'true', source: 'user-override' }
  dependsOn: [admin]
}

resource connectionThrottling 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: server
  name: 'connection_throttle.enable'
  properties: { value: 'on', source: 'user-override' }
  dependsOn: [pgbouncer]
}

resource logConnections 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: server
  name: 'log_connections'
  properties: { value: 'on', source: 'user-override' }
  dependsOn: [connectionThrottling]
}

output fqdn string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
output pgbouncerEnabled bool = pgbouncerEnabled
