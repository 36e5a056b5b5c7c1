// The bot (Container App, HTTPS ingress, 1..maxReplicas) and the nightly indexer (Container Apps
// Job on a schedule), one image. Secrets are Key Vault references read with the managed
// identity; nothing secret is in this file or in the image.
param namePrefix string
param suffix string
param location string
param image string
@description('Resource id of the user-assigned identity.')
param identityId string
@description('Client id of that identity (AZURE_CLIENT_ID for DefaultAzureCredential).')
param identityClientId string
param logAnalyticsName string
@secure()
param appInsightsConnectionString string
@description('Key Vault URI ending in "/".')
param vaultUri string
param tenantId string
param botAppId string
param allrisHost string
param oparlSystemUrl string
param kipassGroupId string
param accessGroupMap string
param searchEndpoint string
@description('Azure OpenAI endpoint, or empty when an on-premise endpoint is used.')
param openAiEndpoint string
@description('On-premise OpenAI-compatible base URL, or empty for Azure OpenAI.')
param openAiBaseUrl string
param openAiModel string
param indexerSchedule string
param maxReplicas int

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' existing = {
  name: logAnalyticsName
}

resource containerEnv 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${namePrefix}-cae-${suffix}'
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
  }
}

// The indexer's data dir (its checkpoint, so a run resumes where the last one stopped).
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take(toLower('${namePrefix}st${suffix}'), 24)
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
  }
}

resource share 'Microsoft.Storage/storageAccounts/fileServices/shares@2023-05-01' = {
  name: '${storage.name}/default/indexer-data'
  properties: { shareQuota: 10 }
}

resource indexerStorage 'Microsoft.App/managedEnvironments/storages@2024-03-01' = {
  parent: containerEnv
  name: 'indexer-data'
  properties: {
    azureFile: {
      accountName: storage.name
      accountKey: storage.listKeys().keys[0].value
      shareName: 'indexer-data'
      accessMode: 'ReadWrite'
    }
  }
  dependsOn: [share]
}

// Key Vault references: Container Apps reads them with the identity at revision start.
var vaultSecrets = [
  { name: 'microsoft-app-password', keyVaultUrl: '${vaultUri}secrets/microsoft-app-password', identity: identityId }
  { name: 'graph-client-secret', keyVaultUrl: '${vaultUri}secrets/graph-client-secret', identity: identityId }
  { name: 'audit-key', keyVaultUrl: '${vaultUri}secrets/audit-key', identity: identityId }
  { name: 'redis-url', keyVaultUrl: '${vaultUri}secrets/redis-url', identity: identityId }
]

// Settings both containers share (names as in bot/settings.py).
var commonEnv = [
  { name: 'AZURE_CLIENT_ID', value: identityClientId }
  { name: 'KIW_INDEX_BACKEND', value: 'azure' }
  { name: 'KIW_AZURE_SEARCH_ENDPOINT', value: searchEndpoint }
  { name: 'KIW_DATA_DIR', value: '/data' }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', secretRef: 'appinsights' }
]

var generatorEnv = empty(openAiEndpoint)
  ? [
      { name: 'KIW_GENERATOR', value: 'openai' }
      { name: 'KIW_OPENAI_BASE_URL', value: openAiBaseUrl }
      { name: 'KIW_OPENAI_ON_PREMISE', value: 'true' } // runs in the city's data centre
      { name: 'KIW_OPENAI_MODEL', value: openAiModel }
    ]
  : [
      { name: 'KIW_GENERATOR', value: 'openai' }
      { name: 'KIW_OPENAI_AZURE_ENDPOINT', value: openAiEndpoint }
      { name: 'KIW_OPENAI_API_VERSION', value: '2024-10-21' }
      { name: 'KIW_OPENAI_MODEL', value: openAiModel }
    ]

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: '${namePrefix}-bot-${suffix}'
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    managedEnvironmentId: containerEnv.id
    configuration: {
      ingress: { external: true, targetPort: 3978, transport: 'auto', allowInsecure: false }
      secrets: concat(vaultSecrets, [{ name: 'appinsights', value: appInsightsConnectionString }])
    }
    template: {
      containers: [
        {
          name: 'bot'
          image: image
          args: ['serve', '--host', '0.0.0.0']
          resources: { cpu: json('1.0'), memory: '2Gi' }
          env: concat(commonEnv, generatorEnv, [
            { name: 'MicrosoftAppId', value: botAppId }
            { name: 'MicrosoftAppType', value: 'SingleTenant' }
            { name: 'MicrosoftAppTenantId', value: tenantId }
            { name: 'MicrosoftAppPassword', secretRef: 'microsoft-app-password' }
            { name: 'KIW_AUDIT_KEY', secretRef: 'audit-key' }
            { name: 'KIW_ALLOWED_TENANTS', value: tenantId }
            { name: 'KIW_STATE_BACKEND', value: 'redis' }
            { name: 'KIW_REDIS_URL', secretRef: 'redis-url' }
            { name: 'KIW_DIRECTORY_BACKEND', value: 'graph' }
            { name: 'KIW_GRAPH_TENANT_ID', value: tenantId }
            { name: 'KIW_GRAPH_CLIENT_ID', value: botAppId }
            { name: 'KIW_GRAPH_CLIENT_SECRET', secretRef: 'graph-client-secret' }
            { name: 'KIW_KIPASS_GROUP_ID', value: kipassGroupId }
            { name: 'KIW_ACCESS_GROUP_MAP', value: accessGroupMap }
            { name: 'KIW_ALLRIS_HOST', value: allrisHost }
          ])
          probes: [
            { type: 'Liveness', httpGet: { path: '/healthz', port: 3978 }, periodSeconds: 30 }
            { type: 'Readiness', httpGet: { path: '/readyz', port: 3978 }, periodSeconds: 30 }
          ]
        }
      ]
      scale: {
        minReplicas: 1 // Teams expects an answer within seconds: no cold starts
        maxReplicas: maxReplicas
        rules: [{ name: 'http', http: { metadata: { concurrentRequests: '50' } } }]
      }
    }
  }
}

resource indexer 'Microsoft.App/jobs@2024-03-01' = {
  name: '${namePrefix}-indexer-${suffix}'
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    environmentId: containerEnv.id
    configuration: {
      triggerType: 'Schedule'
      scheduleTriggerConfig: { cronExpression: indexerSchedule, parallelism: 1, replicaCompletionCount: 1 }
      replicaTimeout: 4 * 3600 // a full first crawl takes hours; later runs are incremental
      replicaRetryLimit: 1
      secrets: [{ name: 'appinsights', value: appInsightsConnectionString }]
    }
    template: {
      containers: [
        {
          name: 'indexer'
          image: image
          args: ['index', 'oparl', oparlSystemUrl]
          resources: { cpu: json('1.0'), memory: '2Gi' }
          env: commonEnv
          volumeMounts: [{ volumeName: 'data', mountPath: '/data' }]
        }
      ]
      volumes: [{ name: 'data', storageType: 'AzureFile', storageName: indexerStorage.name }]
    }
  }
}

output fqdn string = app.properties.configuration.ingress.fqdn
