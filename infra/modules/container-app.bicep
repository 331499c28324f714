// One Container App (menu, realtime, media or the media worker), tagged with
// its azd service name, running as its own user-assigned identity. Its scale
// rule is the service's entry of infra/scale.json, passed in as scaleSettings;
// how it stops (drain, spread closes, in-flight work, grace period) is its
// entry of main.bicep's stopTimes, passed in as stop (infra/README.md,
// "Stopping a replica": the arithmetic, and why each probe value).
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
@description('Seconds: drain (/readyz answers 503 while the replica still serves), closeWindow (realtime only: its WebSockets close with 1012 spread over it), shutdown (the bound on in-flight work), grace (terminationGracePeriodSeconds, SIGTERM to SIGKILL).')
param stop object

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
// Readiness takes a draining replica out of the ingress's rotation: /readyz
// answers 503 from SIGTERM on, and 3 failures 3 s apart are seen within 9 s,
// which stop.drain covers with the ingress's propagation on top. Liveness is
// tolerant (50 s of silence) so that it never restarts a replica that is
// draining or busy. Startup gives a replica 30 s to answer /healthz, polling
// every 3 s so a new revision takes traffic soon after it can. (The API takes
// at most 10 for a failureThreshold.)
var probes = ingress ? [
  { type: 'Startup', httpGet: { path: '/healthz', port: targetPort }, periodSeconds: 3, failureThreshold: 10, timeoutSeconds: 2 }
  { type: 'Readiness', httpGet: { path: '/readyz', port: targetPort }, periodSeconds: 3, failureThreshold: 3, successThreshold: 1, timeoutSeconds: 3 }
  { type: 'Liveness', httpGet: { path: '/healthz', port: targetPort }, periodSeconds: 10, failureThreshold: 5, timeoutSeconds: 5 }
] : []
// The drain timings the process reads (stelly_core.settings; the close window
// is the realtime service's own setting).
var stopEnv = concat([
  { name: 'STELLY_DRAIN_SECONDS', value: string(stop.drain) }
  { name: 'STELLY_SHUTDOWN_SECONDS', value: string(stop.shutdown) }
], contains(stop, 'closeWindow') ? [{ name: 'STELLY_REALTIME_CLOSE_WINDOW', value: string(stop.closeWindow) }] : [])

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
      // SIGTERM to SIGKILL: holds drain + close window + shutdown + a margin.
      terminationGracePeriodSeconds: stop.grace
      containers: [
        {
          name: serviceName
          image: image
          command: empty(command) ? null : command
          env: concat(env, stopEnv, [{ name: 'AZURE_CLIENT_ID', value: identityClientId }])
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
