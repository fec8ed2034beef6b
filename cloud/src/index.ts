export { type BrokerHandle, type BrokerKind, type BrokerLogger, brokerAddress } from './broker-handle.js';
export { adminConnection, connectionFromEnv, type EnvConnection } from './fleet/connect-options.js';
export { type DeviceCredential, DynsecAdmin, type DynsecAdminOptions } from './fleet/dynsec-admin.js';
export { freePort } from './free-port.js';
export { PortInUseError } from './listen.js';
export {
  defaultMosquittoConfPath,
  findDynsecPlugin,
  type MosquittoConfOverrides,
  type MosquittoProfile,
  rewriteMosquittoConf,
} from './mosquitto-config.js';
export { type BrokerCertificate, prepareCertificates } from './secure/certificates.js';
export { type SecureLayout, secureLayout } from './secure/layout.js';
export { ADMIN_USER, DASHBOARD_USER, deviceClientId } from './secure/roles.js';
export {
  renderProductionConf,
  type SecureSetup,
  type SecureSetupOptions,
  setupSecureBroker,
} from './secure/setup.js';
export {
  type SecureBrokerHandle,
  type SecureMosquittoOptions,
  startSecureMosquitto,
} from './secure/start-secure-mosquitto.js';
export { type EmbeddedBrokerOptions, startEmbeddedBroker } from './start-embedded-broker.js';
export { MOSQUITTO_BINARY, type StartMosquittoOptions, startMosquitto } from './start-mosquitto.js';
export { hasMosquitto, startTestBroker, type TestBrokerOptions } from './start-test-broker.js';
