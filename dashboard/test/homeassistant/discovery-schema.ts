/**
 * The facts of Home Assistant's MQTT discovery this project relies on, written down from its documentation
 * (home-assistant.io, integrations/mqtt: "Device discovery payload", the platforms' pages sensor.mqtt,
 * binary_sensor.mqtt, select.mqtt, number.mqtt, switch.mqtt, button.mqtt, update.mqtt, and the list of
 * supported abbreviations; sensor device classes and their units from integrations/sensor). A payload is
 * checked against these facts, not against the code that made it.
 */

/** Device-based discovery: the keys at the top of `<prefix>/device/<object_id>/config`. */
export const DEVICE_DISCOVERY = {
  /** Required, each under its full name or its abbreviation. */
  required: [
    ['device', 'dev'],
    ['origin', 'o'],
    ['components', 'cmps'],
  ],
  /** Options shared by every component, allowed at the top. */
  shared: [
    'availability_topic',
    'availability_template',
    'payload_available',
    'payload_not_available',
    'availability_mode',
    'qos',
    'state_topic',
    'command_topic',
    'encoding',
  ],
  /** The object id in the topic: letters, digits, "_" and "-". */
  objectId: /^[A-Za-z0-9_-]+$/,
} as const;

/** The device block: at least identifiers or connections; these keys only. */
export const DEVICE_BLOCK = {
  oneOf: ['identifiers', 'connections'],
  keys: [
    'identifiers',
    'connections',
    'name',
    'manufacturer',
    'model',
    'model_id',
    'sw_version',
    'hw_version',
    'serial_number',
    'suggested_area',
    'configuration_url',
    'via_device',
  ],
} as const;

/** The origin block: `name` required. */
export const ORIGIN_BLOCK = {
  required: ['name'],
  keys: ['name', 'sw_version', 'sw', 'support_url', 'url'],
} as const;

const ENTITY = [
  'platform',
  'unique_id',
  'name',
  'object_id',
  'default_entity_id',
  'icon',
  'entity_category',
  'enabled_by_default',
  'availability_topic',
  'payload_available',
  'payload_not_available',
  'json_attributes_topic',
  'json_attributes_template',
  'qos',
  'encoding',
] as const;

/** Per platform: keys required, and every documented key this project may use. */
export const PLATFORMS: Record<string, { required: readonly string[]; keys: readonly string[] }> = {
  sensor: {
    required: ['state_topic'],
    keys: [
      ...ENTITY,
      'state_topic',
      'value_template',
      'device_class',
      'unit_of_measurement',
      'state_class',
      'suggested_display_precision',
      'expire_after',
      'force_update',
    ],
  },
  binary_sensor: {
    required: ['state_topic'],
    keys: [
      ...ENTITY,
      'state_topic',
      'value_template',
      'payload_on',
      'payload_off',
      'device_class',
      'expire_after',
      'off_delay',
    ],
  },
  select: {
    required: ['command_topic', 'options'],
    keys: [
      ...ENTITY,
      'state_topic',
      'value_template',
      'command_topic',
      'command_template',
      'options',
      'optimistic',
      'retain',
    ],
  },
  number: {
    required: ['command_topic'],
    keys: [
      ...ENTITY,
      'state_topic',
      'value_template',
      'command_topic',
      'command_template',
      'min',
      'max',
      'step',
      'mode',
      'unit_of_measurement',
      'device_class',
      'optimistic',
      'retain',
    ],
  },
  switch: {
    required: ['command_topic'],
    keys: [
      ...ENTITY,
      'state_topic',
      'value_template',
      'command_topic',
      'command_template',
      'payload_on',
      'payload_off',
      'state_on',
      'state_off',
      'device_class',
      'optimistic',
      'retain',
    ],
  },
  button: {
    required: ['command_topic'],
    keys: [...ENTITY, 'command_topic', 'command_template', 'payload_press', 'device_class', 'retain'],
  },
  update: {
    required: [],
    keys: [
      ...ENTITY,
      'state_topic',
      'value_template',
      'latest_version_topic',
      'latest_version_template',
      'command_topic',
      'payload_install',
      'device_class',
      'display_precision',
      'release_summary',
      'release_url',
      'title',
      'retain',
    ],
  },
};

/** Abbreviations of the keys used here, as the documentation lists them (full name → abbreviation). */
export const ABBREVIATIONS: Record<string, string> = {
  availability_topic: 'avty_t',
  command_template: 'cmd_tpl',
  command_topic: 'cmd_t',
  components: 'cmps',
  device: 'dev',
  device_class: 'dev_cla',
  entity_category: 'ent_cat',
  identifiers: 'ids',
  latest_version_topic: 'l_ver_t',
  latest_version_template: 'l_ver_tpl',
  manufacturer: 'mf',
  model: 'mdl',
  name: 'name',
  options: 'ops',
  origin: 'o',
  payload_available: 'pl_avail',
  payload_install: 'pl_inst',
  payload_not_available: 'pl_not_avail',
  payload_off: 'pl_off',
  payload_on: 'pl_on',
  payload_press: 'pl_prs',
  platform: 'p',
  state_class: 'stat_cla',
  state_off: 'stat_off',
  state_on: 'stat_on',
  state_topic: 'stat_t',
  sw_version: 'sw',
  unique_id: 'uniq_id',
  unit_of_measurement: 'unit_of_meas',
  value_template: 'val_tpl',
};

/** Sensor (and number) device classes used here, with the units Home Assistant accepts for each. */
export const DEVICE_CLASS_UNITS: Record<string, readonly string[]> = {
  temperature: ['°C', '°F', 'K'],
  humidity: ['%'],
  atmospheric_pressure: ['cbar', 'bar', 'hPa', 'mmHg', 'inHg', 'kPa', 'mbar', 'Pa', 'psi'],
  pressure: ['cbar', 'bar', 'hPa', 'mmHg', 'inHg', 'kPa', 'mbar', 'MPa', 'Pa', 'psi'],
  battery: ['%'],
  duration: ['d', 'h', 'min', 's', 'ms'],
};

export const STATE_CLASSES = ['measurement', 'measurement_angle', 'total', 'total_increasing'] as const;
export const BINARY_SENSOR_CLASSES = ['heat', 'problem', 'safety', 'running', 'update'] as const;
export const UPDATE_CLASSES = ['firmware'] as const;
export const ENTITY_CATEGORIES = ['config', 'diagnostic'] as const;
export const NUMBER_MODES = ['auto', 'box', 'slider'] as const;

/** The full name of a key that may be abbreviated. */
export function fullName(key: string): string {
  return Object.entries(ABBREVIATIONS).find(([, short]) => short === key)?.[0] ?? key;
}

/** Every problem of one device discovery payload against the facts above; empty when it is valid. */
export function discoveryProblems(payload: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const top = expand(payload);
  for (const names of DEVICE_DISCOVERY.required) {
    if (!names.some((name) => name in payload)) problems.push(`missing ${names.join('/')}`);
  }
  for (const key of Object.keys(top)) {
    if (!['device', 'origin', 'components', ...DEVICE_DISCOVERY.shared].includes(key)) {
      problems.push(`unknown top-level key ${key}`);
    }
  }
  const device = expand(top.device as Record<string, unknown>);
  if (!DEVICE_BLOCK.oneOf.some((key) => key in device)) problems.push('device has no identifiers');
  for (const key of Object.keys(device)) {
    if (!(DEVICE_BLOCK.keys as readonly string[]).includes(key)) problems.push(`unknown device key ${key}`);
  }
  const origin = (top.origin ?? {}) as Record<string, unknown>;
  if (typeof origin.name !== 'string' || origin.name === '') problems.push('origin has no name');
  for (const key of Object.keys(origin)) {
    if (!(ORIGIN_BLOCK.keys as readonly string[]).includes(key)) problems.push(`unknown origin key ${key}`);
  }
  const components = (top.components ?? {}) as Record<string, Record<string, unknown>>;
  const uniqueIds = new Set<string>();
  for (const [name, raw] of Object.entries(components)) {
    const component = expand(raw);
    const platform = String(component.platform);
    const spec = PLATFORMS[platform];
    if (!spec) {
      problems.push(`${name}: unknown platform ${platform}`);
      continue;
    }
    for (const key of spec.required) {
      if (!(key in component) && !(key in top)) problems.push(`${name}: missing ${key}`);
    }
    for (const key of Object.keys(component)) {
      if (!spec.keys.includes(key)) problems.push(`${name}: key ${key} is not a ${platform} option`);
    }
    const uniqueId = component.unique_id;
    if (typeof uniqueId !== 'string') problems.push(`${name}: no unique_id`);
    else if (uniqueIds.has(uniqueId)) problems.push(`${name}: unique_id ${uniqueId} twice`);
    else uniqueIds.add(uniqueId);
    const deviceClass = component.device_class as string | undefined;
    if ((platform === 'sensor' || platform === 'number') && deviceClass !== undefined) {
      const units = DEVICE_CLASS_UNITS[deviceClass];
      if (!units) problems.push(`${name}: device class ${deviceClass} not checked here`);
      else if (!units.includes(String(component.unit_of_measurement))) {
        problems.push(
          `${name}: unit ${String(component.unit_of_measurement)} is not one of ${deviceClass}'s`,
        );
      }
    }
    if (platform === 'binary_sensor' && deviceClass !== undefined) {
      if (!(BINARY_SENSOR_CLASSES as readonly string[]).includes(deviceClass))
        problems.push(`${name}: binary class ${deviceClass}`);
    }
    if (platform === 'update' && deviceClass !== undefined) {
      if (!(UPDATE_CLASSES as readonly string[]).includes(deviceClass))
        problems.push(`${name}: update class ${deviceClass}`);
    }
    if (
      'state_class' in component &&
      !(STATE_CLASSES as readonly string[]).includes(String(component.state_class))
    ) {
      problems.push(`${name}: state_class ${String(component.state_class)}`);
    }
    if (
      'entity_category' in component &&
      !(ENTITY_CATEGORIES as readonly string[]).includes(String(component.entity_category))
    ) {
      problems.push(`${name}: entity_category ${String(component.entity_category)}`);
    }
    if (platform === 'number') {
      if ('mode' in component && !(NUMBER_MODES as readonly string[]).includes(String(component.mode))) {
        problems.push(`${name}: number mode ${String(component.mode)}`);
      }
      for (const key of ['min', 'max', 'step']) {
        if (key in component && typeof component[key] !== 'number')
          problems.push(`${name}: ${key} is not a number`);
      }
    }
    if (platform === 'select' && (!Array.isArray(component.options) || component.options.length === 0)) {
      problems.push(`${name}: options is not a list`);
    }
    for (const [key, value] of Object.entries(component)) {
      if (key.endsWith('_topic') && (typeof value !== 'string' || /[+#]/.test(value))) {
        problems.push(`${name}: ${key} ${String(value)} is not a topic`);
      }
    }
  }
  return problems;
}

/** The object with abbreviated keys written in full. */
function expand(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object ?? {}).map(([key, value]) => [fullName(key), value]));
}
