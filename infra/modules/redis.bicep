// Azure Cache for Redis: the shared state store (dedupe of Teams retries, conversation
// references) so several bot replicas never answer an activity twice (KIW_STATE_BACKEND=redis).
// Its connection URL is generated here and written straight into Key Vault (never an output).
param namePrefix string
param suffix string
param location string
@description('Key Vault that receives the secret "redis-url".')
param vaultName string

resource cache 'Microsoft.Cache/redis@2023-08-01' = {
  name: '${namePrefix}-redis-${suffix}'
  location: location
  properties: {
    sku: { name: 'Basic', family: 'C', capacity: 0 }
    enableNonSslPort: false
    minimumTlsVersion: '1.2'
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource redisUrl 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'redis-url'
  properties: {
    value: 'rediss://:${cache.listKeys().primaryKey}@${cache.properties.hostName}:${cache.properties.sslPort}/0'
  }
}
