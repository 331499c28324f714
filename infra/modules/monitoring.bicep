// Log Analytics: the Container Apps environment's logs and the apps' stdout;
// and the workspace-based Application Insights resource on it, which the
// services export traces, metrics and logs to (SPEC §9; the Azure Monitor
// OpenTelemetry distro, stelly_core.telemetry).
param name string
param appInsightsName string
param location string
param tags object
param retentionInDays int

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionInDays
  }
}

// API version 2020-02-02 is the newest of Microsoft.Insights/components; Azure's
// type snapshot under ../shared/azure-types holds no version of this type, so
// infra_check lists it as unchecked (infra_check/unchecked.py) instead of
// type-checking it.
resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
}

output id string = workspace.id
output name string = workspace.name
output appInsightsName string = appInsights.name
