// The Azure Bot registration: single-tenant, messaging endpoint = the Container App, channels
// Microsoft Teams and Microsoft 365 Extensions (Outlook message extensions).
param namePrefix string
param suffix string
param tenantId string
param botAppId string
@description('https://<bot host>/api/messages')
param messagingEndpoint string
param appInsightsKey string

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: '${namePrefix}-bot-${suffix}'
  location: 'global'
  kind: 'azurebot'
  sku: { name: 'F0' } // Teams and Microsoft 365 are standard channels: no premium tier needed
  properties: {
    displayName: 'KI-Werkstatt Assistent'
    endpoint: messagingEndpoint
    msaAppId: botAppId
    msaAppType: 'SingleTenant'
    msaAppTenantId: tenantId
    developerAppInsightKey: appInsightsKey
  }
}

resource teams 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: { isEnabled: true }
  }
}

// Outlook sends message-extension invokes through this channel (channel id "m365extensions").
resource outlook 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'M365Extensions'
  location: 'global'
  properties: {
    channelName: 'M365Extensions'
  }
}
