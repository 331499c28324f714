// `stelly migrate` as a manually triggered Container Apps Job from the cli
// image. deploy.yml starts it with the new image and waits for it to succeed
// before any app gets a new revision, so no revision serves traffic against a
// schema older than its code. It connects to PostgreSQL directly (5432), not
// through PgBouncer: migrations take session-level advisory locks.
param name string
param location string
param tags object
param environmentId string
param identityId string
param identityClientId string
param registryServer string
param image string
param env array
param secrets array

resource job 'Microsoft.App/jobs@2025-01-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: 'Consumption'
    configuration: {
      triggerType: 'Manual'
      replicaTimeout: 1800
      replicaRetryLimit: 1
      manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 }
      registries: [{ server: registryServer, identity: identityId }]
      secrets: [for secret in secrets: {
        name: secret.name
        keyVaultUrl: secret.keyVaultUrl
        identity: identityId
      }]
    }
    template: {
      containers: [
        {
          name: 'migrate'
          image: image
          args: ['migrate']
          env: concat(env, [{ name: 'AZURE_CLIENT_ID', value: identityClientId }])
          resources: { cpu: json('0.5'), memory: '1Gi' }
        }
      ]
    }
  }
}

output name string = job.name
