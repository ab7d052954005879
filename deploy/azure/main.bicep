// Bilten on Azure App Service (Linux containers).
//
//   az deployment group create -g <resource-group> \
//     --template-file deploy/azure/main.bicep \
//     --parameters @deploy/azure/main.parameters.example.json
//
// Four apps on one App Service plan, one per role as in every other deployment:
// the gateway (bilten/gateway, the public front door), the frontend web app
// (bilten/frontend), the backend API app (bilten/backend) and the scanner
// (bilten/scanner); PostgreSQL Flexible Server (with an optional read replica),
// Azure Cache for Redis (TLS only) and a Key Vault.
// App Service reaches an app only at https://<app>.azurewebsites.net, routed by
// host name, so the gateway's upstreams are those HTTPS URLs: the gateway sends
// an https:// upstream over TLS with the upstream's own host name as Host (and
// SNI), keeping the visitor's in X-Forwarded-Host (docs/OPERATIONS.md, "Azure").
// Every secret reaches the apps as a Key Vault reference in their app
// settings; the apps read the vault with their system-assigned identities.
// Migrations: run `bilten migrate` once per release before swapping images
// (docs/OPERATIONS.md, "Azure").

targetScope = 'resourceGroup'

@description('Name prefix of every resource (lower-case letters and digits).')
@minLength(3)
@maxLength(12)
param name string = 'bilten'

@description('Deployment environment.')
@allowed([
  'staging'
  'production'
])
param environment string = 'production'

@description('Azure region.')
param location string = resourceGroup().location

@description('Container registry login server, e.g. myregistry.azurecr.io. Grant AcrPull to the four apps\' identities.')
param containerRegistry string

@description('Image tag to run (the commit SHA built by the pipeline).')
param imageTag string

@description('App Service plan SKU.')
param appServicePlanSku string = 'P1v3'

@description('Instances of the App Service plan.')
@minValue(1)
param appServiceInstances int = 3

@description('PostgreSQL Flexible Server SKU.')
param postgresSkuName string = 'Standard_D2ds_v5'

@description('PostgreSQL Flexible Server tier.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param postgresTier string = 'GeneralPurpose'

@description('PostgreSQL storage in GiB.')
param postgresStorageGb int = 64

@description('Zone-redundant high availability for PostgreSQL.')
param postgresHighAvailability bool = true

@description('Create a PostgreSQL read replica (used through DATABASE_READ_URL).')
param postgresReadReplica bool = true

@description('PostgreSQL administrator login.')
param postgresAdminLogin string = 'bilten'

@description('PostgreSQL administrator password (supply from a Key Vault reference in the parameter file).')
@secure()
param postgresAdminPassword string

@secure()
@description('JWT signing secret for access tokens.')
param jwtAccessSecret string

@secure()
@description('JWT signing secret for refresh tokens.')
param jwtRefreshSecret string

@secure()
@description('Root secret every event ticket-signing key is derived from (at least 32 bytes).')
param ticketSigningSecret string

@secure()
@description('Stripe secret API key.')
param stripeSecretKey string

@secure()
@description('Stripe webhook signing secret.')
param stripeWebhookSecret string

@description('SMTP relay host.')
param smtpHost string

@description('SMTP relay port.')
param smtpPort int = 587

@description('SMTP user name.')
param smtpUser string

@secure()
@description('SMTP password.')
param smtpPassword string

@description('From address of outgoing mail.')
param smtpFrom string

@description('Azure Cache for Redis SKU.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param redisSku string = 'Standard'

@description('Azure Cache for Redis capacity (C family size or P family size).')
param redisCapacity int = 1

var prefix = '${name}-${environment}'
var suffix = uniqueString(resourceGroup().id, name, environment)
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'
var postgresDatabase = 'bilten'

// ---------------------------------------------------------------- Key Vault --
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: take('${name}${environment}${suffix}', 24)
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 30
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

// --------------------------------------------------------------- PostgreSQL --
resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: '${prefix}-pg-${suffix}'
  location: location
  sku: {
    name: postgresSkuName
    tier: postgresTier
  }
  properties: {
    version: '16'
    administratorLogin: postgresAdminLogin
    administratorLoginPassword: postgresAdminPassword
    storage: {
      storageSizeGB: postgresStorageGb
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: 14
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: postgresHighAvailability ? 'ZoneRedundant' : 'Disabled'
    }
    network: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

resource postgresDb 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: postgres
  name: postgresDatabase
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

// App Service outbound addresses are Azure addresses; TLS is enforced by the
// server (require_secure_transport is on by default). For private networking,
// move both to a VNet (delegated subnet + App Service VNet integration).
resource postgresAllowAzure 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = {
  parent: postgres
  name: 'AllowAzureServices'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

resource postgresReplica 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = if (postgresReadReplica) {
  name: '${prefix}-pg-replica-${suffix}'
  location: location
  sku: {
    name: postgresSkuName
    tier: postgresTier
  }
  properties: {
    createMode: 'Replica'
    sourceServerResourceId: postgres.id
  }
  dependsOn: [
    postgresDb
  ]
}

var postgresPrimaryHost = postgres.properties.fullyQualifiedDomainName
var postgresReadHost = postgresReadReplica ? postgresReplica.properties.fullyQualifiedDomainName : postgresPrimaryHost
var databaseUrl = 'postgres://${postgresAdminLogin}:${postgresAdminPassword}@${postgresPrimaryHost}:5432/${postgresDatabase}?sslmode=require'
var databaseReadUrl = 'postgres://${postgresAdminLogin}:${postgresAdminPassword}@${postgresReadHost}:5432/${postgresDatabase}?sslmode=require'

// -------------------------------------------------------------------- Redis --
resource redis 'Microsoft.Cache/redis@2024-03-01' = {
  name: '${prefix}-redis-${suffix}'
  location: location
  properties: {
    sku: {
      name: redisSku
      family: redisSku == 'Premium' ? 'P' : 'C'
      capacity: redisCapacity
    }
    enableNonSslPort: false
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    redisConfiguration: {
      'maxmemory-policy': 'volatile-lru'
    }
  }
}

// ------------------------------------------------------------ Vault secrets --
var secretValues = {
  'database-url': databaseUrl
  'database-read-url': databaseReadUrl
  'redis-password': redis.listKeys().primaryKey
  'jwt-access-secret': jwtAccessSecret
  'jwt-refresh-secret': jwtRefreshSecret
  'ticket-signing-secret': ticketSigningSecret
  'stripe-secret-key': stripeSecretKey
  'stripe-webhook-secret': stripeWebhookSecret
  'smtp-pass': smtpPassword
}

// The loop runs over names known before the deployment starts; the values
// (which include runtime values such as the Redis key) are looked up inside.
var secretNames = [
  'database-url'
  'database-read-url'
  'redis-password'
  'jwt-access-secret'
  'jwt-refresh-secret'
  'ticket-signing-secret'
  'stripe-secret-key'
  'stripe-webhook-secret'
  'smtp-pass'
]

resource secrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for secretName in secretNames: {
  parent: vault
  name: secretName
  properties: {
    value: secretValues[secretName]
    contentType: 'text/plain'
  }
}]

// An app setting '@Microsoft.KeyVault(SecretUri=...)' makes App Service resolve
// the secret with the app's identity; the value never sits in the app's
// configuration. No version in the URI, so a rotated secret is picked up.
var kvPrefix = '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/'
var kvRef = {
  databaseUrl: '${kvPrefix}database-url/)'
  databaseReadUrl: '${kvPrefix}database-read-url/)'
  redisPassword: '${kvPrefix}redis-password/)'
  jwtAccessSecret: '${kvPrefix}jwt-access-secret/)'
  jwtRefreshSecret: '${kvPrefix}jwt-refresh-secret/)'
  ticketSigningSecret: '${kvPrefix}ticket-signing-secret/)'
  stripeSecretKey: '${kvPrefix}stripe-secret-key/)'
  stripeWebhookSecret: '${kvPrefix}stripe-webhook-secret/)'
  smtpPass: '${kvPrefix}smtp-pass/)'
}

// ------------------------------------------------------------ App Service --
resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${prefix}-plan'
  location: location
  kind: 'linux'
  sku: {
    name: appServicePlanSku
    capacity: appServiceInstances
  }
  properties: {
    reserved: true
    zoneRedundant: appServiceInstances >= 3
  }
}

var frontendAppName = '${prefix}-web-${suffix}'
var backendAppName = '${prefix}-api-${suffix}'
var scannerAppName = '${prefix}-scan-${suffix}'
var gatewayAppName = '${prefix}-gw-${suffix}'

var sharedSettings = [
  { name: 'APP_ENV', value: 'production' }
  { name: 'BIND_HOST', value: '0.0.0.0' }
  // People reach the web app through the gateway (the front door), as in Kubernetes.
  { name: 'PUBLIC_URL', value: 'https://${gatewayAppName}.azurewebsites.net' }
  { name: 'WEBSITES_ENABLE_APP_SERVICE_STORAGE', value: 'false' }
  { name: 'DATABASE_URL', value: kvRef.databaseUrl }
  { name: 'DATABASE_READ_URL', value: kvRef.databaseReadUrl }
  { name: 'DATABASE_POOL_MIN', value: '2' }
  { name: 'DATABASE_POOL_MAX', value: '20' }
  { name: 'REDIS_URL', value: 'rediss://${redis.properties.hostName}:${redis.properties.sslPort}' }
  { name: 'REDIS_PASSWORD', value: kvRef.redisPassword }
  { name: 'JWT_ACCESS_SECRET', value: kvRef.jwtAccessSecret }
  { name: 'JWT_REFRESH_SECRET', value: kvRef.jwtRefreshSecret }
  { name: 'TICKET_SIGNING_SECRET', value: kvRef.ticketSigningSecret }
  { name: 'JWT_ACCESS_EXPIRES_IN', value: '15m' }
  { name: 'JWT_REFRESH_EXPIRES_IN', value: '7d' }
  { name: 'SMTP_HOST', value: smtpHost }
  { name: 'SMTP_PORT', value: string(smtpPort) }
  { name: 'SMTP_USER', value: smtpUser }
  { name: 'SMTP_PASS', value: kvRef.smtpPass }
  { name: 'SMTP_FROM', value: smtpFrom }
  { name: 'STRIPE_SECRET_KEY', value: kvRef.stripeSecretKey }
  { name: 'STRIPE_WEBHOOK_SECRET', value: kvRef.stripeWebhookSecret }
  { name: 'BILTEN_DATA_DIR', value: '/var/lib/bilten' }
]

resource backendApp 'Microsoft.Web/sites@2023-12-01' = {
  name: backendAppName
  location: location
  kind: 'app,linux,container'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: 'SystemAssigned'
    siteConfig: {
      linuxFxVersion: 'DOCKER|${containerRegistry}/bilten/backend:${imageTag}'
      acrUseManagedIdentityCreds: true
      alwaysOn: true
      http20Enabled: true
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      healthCheckPath: '/health'
      appSettings: concat(sharedSettings, [
        { name: 'PORT', value: '3001' }
        { name: 'WEBSITES_PORT', value: '3001' }
      ])
    }
  }
}

resource frontendApp 'Microsoft.Web/sites@2023-12-01' = {
  name: frontendAppName
  location: location
  kind: 'app,linux,container'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: 'SystemAssigned'
    siteConfig: {
      linuxFxVersion: 'DOCKER|${containerRegistry}/bilten/frontend:${imageTag}'
      acrUseManagedIdentityCreds: true
      alwaysOn: true
      http20Enabled: true
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      healthCheckPath: '/health'
      appSettings: concat(sharedSettings, [
        { name: 'PORT', value: '8000' }
        { name: 'WEBSITES_PORT', value: '8000' }
        { name: 'BACKEND_URL', value: 'https://${backendApp.properties.defaultHostName}' }
      ])
    }
  }
}

resource scannerApp 'Microsoft.Web/sites@2023-12-01' = {
  name: scannerAppName
  location: location
  kind: 'app,linux,container'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: 'SystemAssigned'
    siteConfig: {
      linuxFxVersion: 'DOCKER|${containerRegistry}/bilten/scanner:${imageTag}'
      acrUseManagedIdentityCreds: true
      alwaysOn: true
      http20Enabled: true
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      healthCheckPath: '/health'
      appSettings: concat(sharedSettings, [
        { name: 'PORT', value: '3002' }
        { name: 'WEBSITES_PORT', value: '3002' }
        { name: 'BACKEND_URL', value: 'https://${backendApp.properties.defaultHostName}' }
      ])
    }
  }
}

// The front door: routes /api to the backend, the scanner's paths to the
// scanner and the rest to the frontend, with the edge's rate limits. Each
// upstream is the other app's HTTPS address (deploy/tools/bicep_check.py checks
// that each names the app of its role).
resource gatewayApp 'Microsoft.Web/sites@2023-12-01' = {
  name: gatewayAppName
  location: location
  kind: 'app,linux,container'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: 'SystemAssigned'
    siteConfig: {
      linuxFxVersion: 'DOCKER|${containerRegistry}/bilten/gateway:${imageTag}'
      acrUseManagedIdentityCreds: true
      alwaysOn: true
      http20Enabled: true
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      healthCheckPath: '/health'
      appSettings: concat(sharedSettings, [
        { name: 'PORT', value: '8080' }
        { name: 'WEBSITES_PORT', value: '8080' }
        { name: 'GATEWAY_UPSTREAMS_BACKEND', value: 'https://${backendApp.properties.defaultHostName}' }
        { name: 'GATEWAY_UPSTREAMS_SCANNER', value: 'https://${scannerApp.properties.defaultHostName}' }
        { name: 'GATEWAY_UPSTREAMS_FRONTEND', value: 'https://${frontendApp.properties.defaultHostName}' }
      ])
    }
  }
}

// Every app's identity may read (only read) the vault's secrets.
resource backendVaultAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, backendApp.id, keyVaultSecretsUserRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: backendApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource frontendVaultAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, frontendApp.id, keyVaultSecretsUserRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: frontendApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource scannerVaultAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, scannerApp.id, keyVaultSecretsUserRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: scannerApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource gatewayVaultAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, gatewayApp.id, keyVaultSecretsUserRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: gatewayApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output gatewayUrl string = 'https://${gatewayApp.properties.defaultHostName}'
output frontendUrl string = 'https://${frontendApp.properties.defaultHostName}'
output backendUrl string = 'https://${backendApp.properties.defaultHostName}'
output keyVaultName string = vault.name
output postgresHost string = postgresPrimaryHost
output postgresReadHost string = postgresReadHost
output redisHost string = redis.properties.hostName
output frontendPrincipalId string = frontendApp.identity.principalId
output backendPrincipalId string = backendApp.identity.principalId
output scannerPrincipalId string = scannerApp.identity.principalId
output gatewayPrincipalId string = gatewayApp.identity.principalId
