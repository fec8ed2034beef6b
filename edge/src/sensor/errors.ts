/**
 * SENSOR=bme280 and no usable chip. The message is the one-sentence reason (bus missing, nothing at the
 * address, wrong chip id, chip failed to initialise); main prints it and exits with 1.
 */
export class SensorUnavailableError extends Error {
  override name = 'SensorUnavailableError';
}
