// Azure AI Search: the index that scales past one machine (German analyzer, security-trimming
// filters). Entra auth only: the identity gets data + index-management roles, no admin keys.
param namePrefix string
param suffix string
param location string
@allowed(['basic', 'standard'])
param sku string = 'basic'
@description('Principal id of the identity that writes (indexer) and reads (bot) the index.')
param writerPrincipalId string

var roles = {
  indexDataContributor: '8ebe5a00-799e-43f5-93ac-243d3dce84a7'
  serviceContributor: '7ca78c08-252a-4471-8644-bb5ff32d4ba0' // create/update the index schema
}

resource search 'Microsoft.Search/searchServices@2023-11-01' = {
  name: '${namePrefix}-search-${suffix}'
  location: location
  sku: { name: sku }
  properties: {
    replicaCount: 1
    partitionCount: 1
    disableLocalAuth: true
    publicNetworkAccess: 'enabled'
  }
}

resource access 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in items(roles): {
  name: guid(search.id, writerPrincipalId, role.value)
  scope: search
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
    principalId: writerPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

output endpoint string = 'https://${search.name}.search.windows.net'
