// The VNet: the Container Apps environment, PostgreSQL (delegated subnet,
// private DNS) and private endpoints (Redis) each get a subnet with an NSG.
param name string
param nsgPrefix string
param location string
param tags object

var subnets = [
  { name: 'apps', prefix: '10.40.0.0/23', delegation: 'Microsoft.App/environments' }
  { name: 'postgres', prefix: '10.40.2.0/24', delegation: 'Microsoft.DBforPostgreSQL/flexibleServers' }
  { name: 'private-endpoints', prefix: '10.40.3.0/24', delegation: '' }
]

resource nsgs 'Microsoft.Network/networkSecurityGroups@2024-05-01' = [for subnet in subnets: {
  name: '${nsgPrefix}${subnet.name}-${name}'
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}]

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: ['10.40.0.0/16'] }
    subnets: [for (subnet, i) in subnets: {
      name: subnet.name
      properties: {
        addressPrefix: subnet.prefix
        networkSecurityGroup: { id: nsgs[i].id }
        delegations: empty(subnet.delegation) ? [] : [
          { name: subnet.name, properties: { serviceName: subnet.delegation } }
        ]
        privateEndpointNetworkPolicies: 'Enabled'
      }
    }]
  }
}

output vnetId string = vnet.id
output appsSubnetId string = vnet.properties.subnets[0].id
output postgresSubnetId string = vnet.properties.subnets[1].id
output privateEndpointSubnetId string = vnet.properties.subnets[2].id
