/** A device id may never contain `/`, `+` or `#`, so it can never widen an MQTT subscription. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const DEVICE_ID_ACCEPTED =
  '1 to 64 characters: letters, digits, "_", "." or "-", starting with a letter or digit';

export function isValidDeviceId(value: unknown): value is string {
  return typeof value === 'string' && DEVICE_ID_PATTERN.test(value);
}
