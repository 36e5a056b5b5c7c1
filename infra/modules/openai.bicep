// Azure OpenAI in an EU region with an EU data-zone deployment (prompts stay in the EU).
// Only deployed when generatorMode=azure; with an on-premise model this module is skipped.
param namePrefix string
param suffix string
@description('EU region of the account.')
param location string
@description('Model name, also used as the deployment name (KIW_OPENAI_MODEL).')
param model string
param modelVersion string = '2024-07-18'
@description('Capacity in thousands of tokens per minute.')
param capacity int = 30
@description('Principal id of the identity that calls the model (no API keys).')
param userPrincipalId string

var cognitiveServicesOpenAiUser = '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: '${namePrefix}-aoai-${suffix}'
  location: location
  kind: 'OpenAI'
  sku: { name: 'S0' }
  properties: {
    customSubDomainName: '${namePrefix}-aoai-${suffix}'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource deployment 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {
  parent: account
  name: model
  sku: { name: 'DataZoneStandard', capacity: capacity }
  properties: {
    model: { format: 'OpenAI', name: model, version: modelVersion }
  }
}

resource callModel 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, userPrincipalId, cognitiveServicesOpenAiUser)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesOpenAiUser)
    principalId: userPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output endpoint string = account.properties.endpoint
