// Static Web Apps: the web client (web/dist), Front Door's origin for /*.
param name string
param location string
param tags object

resource site 'Microsoft.Web/staticSites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  // Standard in every environment: forwardingGateway (X-Azure-FDID, web/public/
  // staticwebapp.config.json) is a Standard-plan feature; on Free the site would
  // answer around Front Door.
  sku: { name: 'Standard', tier: 'Standard' }
  properties: {
    allowConfigFileUpdates: true
    stagingEnvironmentPolicy: 'Disabled'
  }
}

output name string = site.name
output defaultHostname string = site.properties.defaultHostname
