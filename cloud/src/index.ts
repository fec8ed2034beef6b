export { type BrokerHandle, type BrokerKind, type BrokerLogger, brokerAddress } from './broker-handle.js';
export { freePort } from './free-port.js';
export { PortInUseError } from './listen.js';
export {
  defaultMosquittoConfPath,
  type MosquittoConfOverrides,
  rewriteMosquittoConf,
} from './mosquitto-config.js';
export { type EmbeddedBrokerOptions, startEmbeddedBroker } from './start-embedded-broker.js';
export { MOSQUITTO_BINARY, type StartMosquittoOptions, startMosquitto } from './start-mosquitto.js';
export { hasMosquitto, startTestBroker, type TestBrokerOptions } from './start-test-broker.js';
