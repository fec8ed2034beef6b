export { type Bmx280Reader, type OpenBmx280Options, openBmx280Reader } from './bmx280-reader.js';
export { SensorUnavailableError } from './errors.js';
export { defaultI2cDevPath, type I2cBusLike, type I2cBusOpener, openI2cBus } from './i2c.js';
export { type I2cAddressOption, type ProbeOptions, type ProbeResult, probeSensor } from './probe.js';
export { type SelectSensorOptions, type SensorOption, selectSensor } from './select-sensor.js';
export { GuardedSensor, type GuardedSensorOptions, type SensorStatusListener } from './sensor-health.js';
export {
  createSyntheticSensor,
  gaussian,
  SYNTHETIC_MODEL,
  type SyntheticSensorOptions,
} from './synthetic.js';
export type { Reading, SensorReader } from './types.js';
