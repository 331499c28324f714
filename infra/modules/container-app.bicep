// One Container App (menu, realtime, media or the media worker), tagged with
// its azd service name, running as its own user-assigned identity. Its scale
// rule is the service's entry of infra/scale.json, passed in as scaleSettings.
param name string
param serviceName string
param location string
param tags object
param environmentId string
param identityId string
param identityClientId string
param registryServer string
param image string
param command array
param targetPort int
param ingress bool
param env array
param secrets array
@description('This service\'s entry of scale.json: rule, replicas per environment, resources.')
param scaleSettings object
@allowed(['dev', 'prod'])
param environmentType string
param serviceBusNamespace string

var rule = scaleSettings.rule
var replicas = scaleSettings.replicas[environmentType]
var ruleByType = {
  http: {
    name: 'http-concurrency'
    http: { metadata: { concurrentRequests: string(rule.?concurrent_requests ?? 0) } }
  }
  cpu: {
    name: 'cpu-utilization'
    custom: { type: 'cpu', metadata: { type: 'Utilization', value: string(rule.?utilization_percent ?? 0) } }
  }
  'azure-servicebus': {
    name: 'queue-length'
    custom: {
      type: 'azure-servicebus'
      identity: identityId
      metadata: {
        namespace: split(serviceBusNamespace, '.')[0]
        queueName: rule.?queue ?? ''
        messageCount: string(rule.?message_count ?? 0)
      }
    }
  }
}
var probes = ingress ? [
  { type: 'Startup', httpGet: { path: '/healthz', port: targetPort }, periodSeconds: 2, failureThreshold: 30 }
  { type: 'Liveness', httpGet: { path: '/healthz', port: targetPort }, periodSeconds: 10, failureThreshold: 3 }
  { type: 'Readiness', httpGet: { path: '/readyz', port: targetPort }, periodSeconds: 5, failureThreshold: 3 }
] : []

resource app 'Microsoft.App/containerApps@2025-01-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: ingress ? {
        external: true
        targetPort: targetPort
        transport: 'auto'
        allowInsecure: false
        traffic: [{ latestRevision: true, weight: 100 }]
      } : null
      registries: [{ server: registryServer, identity: identityId }]
      secrets: [for secret in secrets: {
        name: secret.name
        keyVaultUrl: secret.keyVaultUrl
        identity: identityId
      }]
    }
    // Revision suffixes are left to Container Apps: a fixed one (say, the
    // image tag) would make a second provision of the same tag fail.
    template: {
      // Realtime closes every socket with 1012 on SIGTERM; give it the time.
      terminationGracePeriodSeconds: 30
      containers: [
        {
          name: serviceName
          image: image
          command: empty(command) ? null : command
          env: concat(env, [{ name: 'AZURE_CLIENT_ID', value: identityClientId }])
          resources: {
            // A string in scale.json: Bicep has no floating-point literals.
            cpu: json(scaleSettings.resources.cpu)
            memory: scaleSettings.resources.memory
          }
          probes: probes
        }
      ]
      scale: {
        minReplicas: replicas.min
        maxReplicas: replicas.max
        pollingInterval: 15
        cooldownPeriod: 300
        rules: [ruleByType[rule.type]]
      }
    }
  }
}

output name string = app.name
output fqdn string = ingress ? app.properties.configuration.ingress.fqdn : ''
