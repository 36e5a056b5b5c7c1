// KI-Werkstatt Assistent on Azure: one resource group, EU region, no secrets in this file.
//
//   az deployment group create -g rg-kiw -f infra/main.bicep -p infra/main.parameters.json
//
// First deployment in two phases (see infra/README.md): deployWorkloads=false creates the
// identity, Key Vault and the services; the admin then puts the secrets into Key Vault; a second
// run with deployWorkloads=true starts the bot and the indexer job that read them.

targetScope = 'resourceGroup'

@description('Short name used in every resource name, e.g. "kiw".')
@minLength(3)
@maxLength(10)
param namePrefix string = 'kiw'

@description('Azure region of the resources (EU; the city\'s data stays in the EU).')
param location string = resourceGroup().location

@description('Microsoft Entra tenant of the city (single-tenant bot and Graph).')
param tenantId string = subscription().tenantId

@description('Application (client) id of the Entra app registration of the bot (MicrosoftAppId).')
param botAppId string

@description('Container image of the bot, e.g. myregistry.azurecr.io/kiw:1.0.0.')
param containerImage string

@description('Host name of the city\'s ALLRIS, for link unfurling (KIW_ALLRIS_HOST).')
param allrisHost string

@description('OParl system URL the indexer job crawls, e.g. https://ratsinfo.luebeck.de/bi/oparl/1.0/system.asp.')
param oparlSystemUrl string

@description('Entra object id of the KI-Pass group (KIW_KIPASS_GROUP_ID).')
param kipassGroupId string

@description('"groupId=accessGroup,..." mapping Entra groups to document access groups.')
param accessGroupMap string = ''

@description('"azure": Azure OpenAI in an EU region; "onPremise": an OpenAI-compatible endpoint in the city\'s data centre.')
@allowed(['azure', 'onPremise'])
param generatorMode string = 'azure'

@description('EU region of Azure OpenAI (only for generatorMode=azure).')
@allowed(['swedencentral', 'germanywestcentral', 'francecentral', 'westeurope'])
param openAiLocation string = 'swedencentral'

@description('Model deployed in Azure OpenAI, or the model name the on-premise server serves.')
param openAiModel string = 'gpt-4o-mini'

@description('Base URL of the on-premise OpenAI-compatible endpoint (generatorMode=onPremise), e.g. https://llm.intern.luebeck.de/v1.')
param onPremiseOpenAiBaseUrl string = ''

@description('Cron expression (UTC) of the nightly indexer run.')
param indexerSchedule string = '0 2 * * *'

@description('Upper bound of bot replicas; above 1 the Redis state store dedupes Teams retries.')
@minValue(1)
@maxValue(10)
param maxReplicas int = 2

@description('false on the very first run: create Key Vault etc. first, put the secrets in, then run again with true.')
param deployWorkloads bool = true

var suffix = uniqueString(resourceGroup().id)

// The one identity of the bot and the indexer job: reads Key Vault, calls Search and OpenAI
// without keys (Entra tokens via DefaultAzureCredential + AZURE_CLIENT_ID).
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-id-${suffix}'
  location: location
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    namePrefix: namePrefix
    suffix: suffix
    location: location
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    namePrefix: namePrefix
    suffix: suffix
    location: location
    tenantId: tenantId
    readerPrincipalId: identity.properties.principalId
  }
}

module search 'modules/search.bicep' = {
  name: 'search'
  params: {
    namePrefix: namePrefix
    suffix: suffix
    location: location
    writerPrincipalId: identity.properties.principalId
  }
}

module openai 'modules/openai.bicep' = if (generatorMode == 'azure') {
  name: 'openai'
  params: {
    namePrefix: namePrefix
    suffix: suffix
    location: openAiLocation
    model: openAiModel
    userPrincipalId: identity.properties.principalId
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  params: {
    namePrefix: namePrefix
    suffix: suffix
    location: location
    vaultName: vault.outputs.name
  }
}

module apps 'modules/containerapps.bicep' = if (deployWorkloads) {
  name: 'containerapps'
  params: {
    namePrefix: namePrefix
    suffix: suffix
    location: location
    image: containerImage
    identityId: identity.id
    identityClientId: identity.properties.clientId
    logAnalyticsName: monitoring.outputs.logAnalyticsName
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    vaultUri: vault.outputs.uri
    tenantId: tenantId
    botAppId: botAppId
    allrisHost: allrisHost
    oparlSystemUrl: oparlSystemUrl
    kipassGroupId: kipassGroupId
    accessGroupMap: accessGroupMap
    searchEndpoint: search.outputs.endpoint
    openAiEndpoint: generatorMode == 'azure' ? openai.outputs.endpoint : ''
    openAiBaseUrl: generatorMode == 'onPremise' ? onPremiseOpenAiBaseUrl : ''
    openAiModel: openAiModel
    indexerSchedule: indexerSchedule
    maxReplicas: maxReplicas
  }
}

module bot 'modules/bot.bicep' = if (deployWorkloads) {
  name: 'bot'
  params: {
    namePrefix: namePrefix
    suffix: suffix
    tenantId: tenantId
    botAppId: botAppId
    messagingEndpoint: deployWorkloads ? 'https://${apps.outputs.fqdn}/api/messages' : ''
    appInsightsKey: monitoring.outputs.appInsightsInstrumentationKey
  }
}

@description('Host of the bot: KIW_BOT_DOMAIN for `kiw manifest build`.')
output botDomain string = deployWorkloads ? apps.outputs.fqdn : ''

@description('Where the admin puts the secrets (infra/README.md, step 3).')
output keyVaultName string = vault.outputs.name
