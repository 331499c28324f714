// Static Web Apps: the web client (web/dist), Front Door's origin for /*.
param name string
param location string
param tags object
param isProd bool

resource site 'Microsoft.Web/staticSites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  sku: isProd ? { name: 'Standard', tier: 'Standard' } : { name: 'Free', tier: 'Free' }
  properties: {
    allowConfigFileUpdates: true
    stagingEnvironmentPolicy: 'Disabled'
  }
}

output name string = site.name
output defaultHostname string = site.properties.defaultHostname
