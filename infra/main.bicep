// Stelly in Azure (SPEC §7), laid out for the Azure Developer CLI.
// Front Door replaces the local gateway: its routes come from routing.json,
// the one table services/gateway reads; the apps' scale rules come from
// scale.json, the one file loadtests/ reads. Neither is repeated here.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; part of every resource name and the resource token.')
param environmentName string

@minLength(1)
@description('Azure region of everything but the global resources (Front Door, Static Web App content).')
param location string

@allowed(['dev', 'prod'])
@description('dev: Burstable PostgreSQL, no HA, apps may scale to zero, Azure Managed Redis Balanced_B0 without HA. prod: zone-redundant HA, min replicas from scale.json, Azure Managed Redis Balanced_B1 with HA.')
param environmentType string = 'dev'

@description('Tenant base domain: tenants are served at {slug}.<baseDomain>; Front Door binds *.<baseDomain>.')
param baseDomain string

@description('Name of the wildcard certificate for *.<baseDomain> in this deployment\'s Key Vault (imported after the first provision). Empty: Front Door serves only its own *.azurefd.net endpoint.')
param wildcardCertificateName string = ''

@description('Image tag (the commit SHA) of every service image in the registry. Empty on the very first provision, before any image exists: the registry, data and identities are created, the apps and Front Door are not.')
param imageTag string = ''

@secure()
@description('KZ_SECRET_KEY (JWT signing key, at least 32 characters), stored in Key Vault only. Empty keeps the secret already in the vault.')
param kzSecretKey string = ''

@description('Share of new traces recorded (STELLY_TRACE_SAMPLE_RATIO, 0 to 1; a client\'s sampled flag is not trusted: an incoming trace is re-decided by its trace id). A string: Bicep has no floating-point literals.')
param traceSampleRatio string = '0.1'

@description('Cap on recorded traces per second per replica (STELLY_TRACES_PER_SECOND; 0 for none): a busy replica lowers its ratio to stay under it. A string: Bicep has no floating-point literals.')
param tracesPerSecond string = '10'

@description('Object id of the user or CI principal running the deployment, given Key Vault Secrets Officer and Certificates Officer to import the certificate.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal'])
param principalType string = 'User'

var abbrs = loadJsonContent('abbreviations.json')
var routing = loadJsonContent('routing.json')
var scale = loadJsonContent('scale.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName, 'stelly-environment': environmentType }
var deployApps = !empty(imageTag)
var isProd = environmentType == 'prod'

// One user-assigned identity per deployable, holding only its own roles.
var identityNames = ['menu', 'realtime', 'media', 'media-worker', 'migrate', 'platform']

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identities 'modules/identity.bicep' = [for name in identityNames: {
  name: 'identity-${name}'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${name}-${resourceToken}'
    location: location
    tags: tags
  }
}]

// Index into identityNames: 0 menu, 1 realtime, 2 media, 3 media-worker, 4 migrate, 5 platform.
var menuPrincipal = identities[0].outputs.principalId
var realtimePrincipal = identities[1].outputs.principalId
var mediaPrincipal = identities[2].outputs.principalId
var workerPrincipal = identities[3].outputs.principalId
var migratePrincipal = identities[4].outputs.principalId
var platformPrincipal = identities[5].outputs.principalId

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    name: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    location: location
    tags: tags
    retentionInDays: isProd ? 90 : 30
    appInsightsName: '${abbrs.insightsComponents}${resourceToken}'
  }
}

module network 'modules/network.bicep' = {
  name: 'network'
  scope: rg
  params: {
    name: '${abbrs.networkVirtualNetworks}${resourceToken}'
    nsgPrefix: abbrs.networkNetworkSecurityGroups
    location: location
    tags: tags
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  scope: rg
  params: {
    name: '${abbrs.containerRegistryRegistries}${resourceToken}'
    location: location
    tags: tags
    sku: isProd ? 'Standard' : 'Basic'
    pullPrincipalIds: [menuPrincipal, realtimePrincipal, mediaPrincipal, workerPrincipal, migratePrincipal, platformPrincipal]
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    isProd: isProd
    kzSecretKey: kzSecretKey
    appInsightsName: monitoring.outputs.appInsightsName
    secretReaderPrincipalIds: [menuPrincipal, realtimePrincipal, mediaPrincipal, workerPrincipal, migratePrincipal, platformPrincipal]
    adminPrincipalId: principalId
    adminPrincipalType: principalType
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  scope: rg
  params: {
    name: '${abbrs.cacheRedisEnterprise}${resourceToken}'
    location: location
    tags: tags
    isProd: isProd
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    privateEndpointName: '${abbrs.networkPrivateEndpoints}redis-${resourceToken}'
    vnetId: network.outputs.vnetId
    // every identity whose process opens Redis (the migrate job runs the CLI)
    dataPrincipalIds: [menuPrincipal, realtimePrincipal, mediaPrincipal, workerPrincipal, migratePrincipal, platformPrincipal]
  }
}

module keyVaultAccess 'modules/keyvault-access.bicep' = {
  name: 'keyvault-access'
  scope: rg
  params: {
    keyVaultName: keyVault.outputs.name
    secretNames: ['kz-secret-key', 'appinsights-connection-string']
    principalIds: [menuPrincipal, realtimePrincipal, mediaPrincipal, workerPrincipal, migratePrincipal, platformPrincipal]
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    isProd: isProd
    blobContributorPrincipalIds: [mediaPrincipal, workerPrincipal]
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    name: '${abbrs.serviceBusNamespaces}${resourceToken}'
    location: location
    tags: tags
    queueName: scale.services['media-worker'].rule.queue
    senderPrincipalIds: [mediaPrincipal]
    receiverPrincipalIds: [workerPrincipal]
  }
}

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  scope: rg
  params: {
    name: '${abbrs.dBforPostgreSQLServers}${resourceToken}'
    location: location
    tags: tags
    isProd: isProd
    subnetId: network.outputs.postgresSubnetId
    vnetId: network.outputs.vnetId
    // The migration job owns the schemas it creates: it is the Entra administrator.
    adminIdentityName: identities[4].outputs.name
    adminPrincipalId: migratePrincipal
  }
}

module containerAppsEnvironment 'modules/container-apps-environment.bicep' = {
  name: 'container-apps-environment'
  scope: rg
  params: {
    name: '${abbrs.appManagedEnvironments}${resourceToken}'
    location: location
    tags: tags
    isProd: isProd
    subnetId: network.outputs.appsSubnetId
    logAnalyticsWorkspaceName: monitoring.outputs.name
  }
}

module frontDoorProfile 'modules/frontdoor-profile.bicep' = {
  name: 'frontdoor-profile'
  scope: rg
  params: {
    name: '${abbrs.cdnProfiles}${resourceToken}'
    tags: tags
    keyVaultName: keyVault.outputs.name
    endpointName: '${abbrs.cdnProfilesEndpoints}${resourceToken}'
    // the platform service adds and removes tenants' custom domains
    domainManagerPrincipalIds: [platformPrincipal]
  }
}

// What every service reads (SPEC §6); each name is checked against
// stelly_core.settings.ENV_VARIABLES by tests/test_infra.py.
var pgbouncer = postgres.outputs.pgbouncerEnabled
var databaseBase = 'postgresql://{identity}@${postgres.outputs.fqdn}:${pgbouncer ? '6432' : '5432'}/${postgres.outputs.databaseName}?sslmode=require'
var commonEnv = [
  { name: 'STELLY_ENV', value: 'production' }
  { name: 'STELLY_DATABASE_AUTH', value: 'entra' }
  { name: 'STELLY_DATABASE_STATEMENT_CACHE', value: pgbouncer ? 'false' : 'true' }
  { name: 'STELLY_BASE_DOMAIN', value: baseDomain }
  { name: 'STELLY_FRONTDOOR_ID', value: frontDoorProfile.outputs.frontDoorId }
  { name: 'STELLY_REDIS_URL', value: redis.outputs.url }
  { name: 'STELLY_REDIS_AUTH', value: 'entra' }
  { name: 'KZ_SECRET_KEY', secretRef: 'kz-secret-key' }
  // telemetry (SPEC §9): JSON log lines for Log Analytics, a sampled share of traces
  { name: 'STELLY_LOG_FORMAT', value: 'json' }
  { name: 'STELLY_TRACE_SAMPLE_RATIO', value: traceSampleRatio }
  { name: 'STELLY_TRACES_PER_SECOND', value: tracesPerSecond }
]
// The Azure Monitor distro exports traces, metrics and logs when this is set.
var telemetryEnv = [
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', secretRef: 'appinsights-connection-string' }
]
var mediaEnv = [
  { name: 'STELLY_BLOB_ACCOUNT_URL', value: storage.outputs.blobEndpoint }
  { name: 'STELLY_ASSETS_BASE_URL', value: '${storage.outputs.blobEndpoint}${storage.outputs.assetsContainer}' }
  { name: 'STELLY_QUEUE', value: 'servicebus' }
  { name: 'STELLY_SERVICEBUS_NAMESPACE', value: serviceBus.outputs.fullyQualifiedNamespace }
]
// The platform service (the console API) manages tenants' custom domains on
// Front Door: the profile, its endpoint (whose host is the CNAME target) and
// the routes that serve tenants (those of routing.json without `hosts`; the
// console's come out as empty names, which the service skips).
var tenantRouteNames = [for route in routing.routes: contains(route, 'hosts') ? '' : route.name]
var platformEnv = [
  { name: 'STELLY_FRONTDOOR_PROFILE_ID', value: frontDoorProfile.outputs.id }
  { name: 'STELLY_FRONTDOOR_ENDPOINT_NAME', value: frontDoorProfile.outputs.endpointName }
  { name: 'STELLY_FRONTDOOR_ENDPOINT_HOST', value: frontDoorProfile.outputs.endpointHostName }
  { name: 'STELLY_FRONTDOOR_ROUTES', value: join(tenantRouteNames, ',') }
]
var secrets = [
  { name: 'kz-secret-key', keyVaultUrl: keyVault.outputs.kzSecretKeyUri }
  { name: 'appinsights-connection-string', keyVaultUrl: keyVault.outputs.appInsightsConnectionStringUri }
]

// Known when the deployment starts (a loop needs that); the identities and
// settings are looked up by index.
var apps = [
  { service: 'menu', identity: 0, image: 'stelly-menu', port: 8001, ingress: true, command: [], media: false }
  { service: 'realtime', identity: 1, image: 'stelly-realtime', port: 8002, ingress: true, command: [], media: false }
  { service: 'media', identity: 2, image: 'stelly-media', port: 8003, ingress: true, command: [], media: true }
  { service: 'media-worker', identity: 3, image: 'stelly-media', port: 0, ingress: false, command: ['python', '-m', 'stelly_media.worker'], media: true }
  { service: 'platform', identity: 5, image: 'stelly-platform', port: 8004, ingress: true, command: [], media: false }
]

// How each app stops, in seconds (infra/README.md, "Stopping a replica"):
// /readyz answers 503 for `drain` while the replica still serves (the
// readiness probe's 9 s + the ingress's propagation), realtime then closes
// its sockets spread over `closeWindow`, in-flight work gets `shutdown`, and
// Container Apps kills the replica `grace` after SIGTERM. The worker has no
// ingress, so no drain: its `shutdown` is the job in hand's budget.
var stopTimes = {
  menu: { drain: 15, shutdown: 15, grace: 40 }
  realtime: { drain: 15, closeWindow: 3, shutdown: 15, grace: 50 }
  media: { drain: 15, shutdown: 30, grace: 50 }
  'media-worker': { drain: 0, shutdown: 30, grace: 40 }
  platform: { drain: 15, shutdown: 15, grace: 40 }
}

module containerApps 'modules/container-app.bicep' = [for app in apps: if (deployApps) {
  name: 'app-${app.service}'
  scope: rg
  params: {
    name: '${abbrs.appContainerApps}${app.service}-${resourceToken}'
    serviceName: app.service
    location: location
    tags: tags
    environmentId: containerAppsEnvironment.outputs.id
    identityId: identities[app.identity].outputs.id
    identityClientId: identities[app.identity].outputs.clientId
    registryServer: registry.outputs.loginServer
    image: '${registry.outputs.loginServer}/${app.image}:${imageTag}'
    command: app.command
    targetPort: app.port
    ingress: app.ingress
    env: concat(app.media ? concat(commonEnv, mediaEnv) : commonEnv, app.service == 'platform' ? platformEnv : [], telemetryEnv, [
      { name: 'STELLY_DATABASE_URL', value: replace(databaseBase, '{identity}', identities[app.identity].outputs.name) }
    ])
    secrets: secrets
    scaleSettings: scale.services[app.service]
    environmentType: environmentType
    serviceBusNamespace: serviceBus.outputs.fullyQualifiedNamespace
    stop: stopTimes[app.service]
  }
  dependsOn: [keyVaultAccess]
}]

module migrateJob 'modules/migrate-job.bicep' = if (deployApps) {
  name: 'migrate-job'
  scope: rg
  params: {
    name: '${abbrs.appJobs}migrate-${resourceToken}'
    location: location
    tags: tags
    environmentId: containerAppsEnvironment.outputs.id
    identityId: identities[4].outputs.id
    identityClientId: identities[4].outputs.clientId
    registryServer: registry.outputs.loginServer
    image: '${registry.outputs.loginServer}/stelly-cli:${imageTag}'
    env: concat(commonEnv, [{ name: 'STELLY_DATABASE_URL', value: replace(replace(databaseBase, ':6432/', ':5432/'), '{identity}', identities[4].outputs.name) }])
    secrets: secrets
  }
  dependsOn: [keyVaultAccess]
}

module staticWebApp 'modules/static-web-app.bicep' = {
  name: 'static-web-app'
  scope: rg
  params: {
    name: '${abbrs.webStaticSites}${resourceToken}'
    // Static Web Apps exist in a few regions only; content is served globally.
    location: 'westeurope'
    tags: union(tags, { 'azd-service-name': 'web' })
  }
}

module frontDoor 'modules/frontdoor.bicep' = if (deployApps) {
  name: 'frontdoor'
  scope: rg
  params: {
    profileName: frontDoorProfile.outputs.name
    endpointName: frontDoorProfile.outputs.endpointName
    routing: routing
    originHosts: {
      menu: deployApps ? containerApps[0].outputs.fqdn : ''
      realtime: deployApps ? containerApps[1].outputs.fqdn : ''
      media: deployApps ? containerApps[2].outputs.fqdn : ''
      platform: deployApps ? containerApps[4].outputs.fqdn : ''
      web: staticWebApp.outputs.defaultHostname
    }
    baseDomain: baseDomain
    keyVaultName: keyVault.outputs.name
    wildcardCertificateName: wildcardCertificateName
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer
output AZURE_CONTAINER_REGISTRY_NAME string = registry.outputs.name
output AZURE_CONTAINER_ENVIRONMENT_NAME string = containerAppsEnvironment.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.endpoint
output AZURE_LOG_ANALYTICS_WORKSPACE_ID string = monitoring.outputs.id
output STELLY_MIGRATE_JOB_NAME string = deployApps ? migrateJob.outputs.name : ''
output STELLY_FRONTDOOR_ID string = frontDoorProfile.outputs.frontDoorId
output STELLY_FRONTDOOR_ENDPOINT string = deployApps ? frontDoor.outputs.endpointHostName : ''
output STELLY_STATIC_WEB_APP_NAME string = staticWebApp.outputs.name
output STELLY_POSTGRES_HOST string = postgres.outputs.fqdn
output STELLY_SERVICEBUS_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output STELLY_BLOB_ACCOUNT_URL string = storage.outputs.blobEndpoint
output SERVICE_MENU_NAME string = deployApps ? containerApps[0].outputs.name : ''
output SERVICE_REALTIME_NAME string = deployApps ? containerApps[1].outputs.name : ''
output SERVICE_MEDIA_NAME string = deployApps ? containerApps[2].outputs.name : ''
output SERVICE_MEDIA_WORKER_NAME string = deployApps ? containerApps[3].outputs.name : ''
output SERVICE_PLATFORM_NAME string = deployApps ? containerApps[4].outputs.name : ''
output SERVICE_WEB_NAME string = staticWebApp.outputs.name
