// Service Bus: the media-jobs queue, Entra auth only (no SAS keys), with a
// delivery ceiling above the worker's own (--max-deliveries 5) so that the
// worker normally dead-letters and marks the image failed itself; the queue's
// ceiling only catches jobs whose workers kept dying.
param name string
param location string
param tags object
param queueName string
param senderPrincipalIds array
param receiverPrincipalIds array
param maxDeliveryCount int = 10

var sender = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39')
var receiver = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0')

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: name
  location: location
  tags: tags
  sku: { name: 'Standard', tier: 'Standard' }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' = {
  parent: namespace
  name: queueName
  properties: {
    maxDeliveryCount: maxDeliveryCount
    deadLetteringOnMessageExpiration: true
    lockDuration: 'PT1M'
    defaultMessageTimeToLive: 'P7D'
    requiresDuplicateDetection: false
    enablePartitioning: false
  }
}

resource senders 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in senderPrincipalIds: {
  name: guid(queue.id, principalId, sender)
  scope: queue
  properties: {
    roleDefinitionId: sender
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

// The worker's KEDA rule reads the queue length with the same identity.
// Unverified here: older KEDA documentation asks for Data Owner to read queue
// runtime properties; if the rule reports no metric, grant that at this
// queue's scope rather than widening the namespace.
resource receivers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in receiverPrincipalIds: {
  name: guid(queue.id, principalId, receiver)
  scope: queue
  properties: {
    roleDefinitionId: receiver
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

output name string = namespace.name
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
output queueName string = queue.name
