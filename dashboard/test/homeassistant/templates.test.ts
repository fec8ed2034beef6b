import { execFileSync, spawnSync } from 'node:child_process';
import { commandSchema, HaTopics, statusSchema, Topics } from '@fleet/shared';
import { describe, expect, it } from 'vitest';
import { discoveryPayload } from '../../src/homeassistant/discovery-payload.js';
import { onlineStatus, telemetry } from '../server/fixtures.js';

/**
 * Home Assistant renders value and command templates with Jinja2 (a sandboxed environment, `value` and
 * `value_json` given, its own `to_json` filter beside Jinja's). The templates of the discovery are rendered
 * here by Python's Jinja2 the same way, from real messages of the contract.
 */
const RENDER = `
import json, sys
from jinja2.sandbox import ImmutableSandboxedEnvironment
env = ImmutableSandboxedEnvironment()
env.filters['to_json'] = lambda value: json.dumps(value)
jobs = json.load(sys.stdin)
print(json.dumps([env.from_string(job['template']).render(**job['variables']) for job in jobs]))
`;

const jinja = spawnSync('python3', ['-c', 'import jinja2'], { encoding: 'utf8' }).status === 0;
if (!jinja)
  console.warn('SKIPPED: the template tests need Python 3 with Jinja2 (apt-get install python3-jinja2).');

interface Job {
  template: string;
  variables: Record<string, unknown>;
}

function render(jobs: Job[]): string[] {
  return JSON.parse(
    execFileSync('python3', ['-c', RENDER], { input: JSON.stringify(jobs), encoding: 'utf8' }),
  );
}

const payload = discoveryPayload(
  { deviceId: 'pi-1', source: 'bme280', firmware: 'v1.0.0', latestFirmware: 'v1.2.0', calibration: true },
  { topics: new Topics(), ha: new HaTopics(), origin: { name: 'test', sw: '0' } },
);
const components = payload.components as Record<string, Record<string, unknown>>;
const template = (component: string, key: string) => String(components[component]?.[key]);
const fromMessage = (message: unknown) => ({ value: JSON.stringify(message), value_json: message });

describe.skipIf(!jinja)("the discovery's templates, rendered by Jinja2 as Home Assistant does", () => {
  it("read each sensor's value from a reading", () => {
    const reading = telemetry({ temperature: 21.5, humidite: 40.2, pression: 1012.3, batterie: 88 });
    const jobs = ['temperature', 'humidity', 'pressure', 'battery'].map((key) => ({
      template: template(key, 'value_template'),
      variables: fromMessage(reading),
    }));
    expect(render(jobs)).toEqual(['21.5', '40.2', '1012.3', '88']);
  });

  it('read the alert, mode, interval, threshold and active switch from a status', () => {
    const status = statusSchema.parse(
      onlineStatus('pi-1', {
        alerte: true,
        mode: 'economie',
        intervalle: 12,
        seuil_alerte: 28.5,
        actif: false,
      }),
    );
    const keys = ['alert', 'mode', 'interval', 'alert_threshold', 'active'];
    const rendered = render(
      keys.map((key) => ({ template: template(key, 'value_template'), variables: fromMessage(status) })),
    );
    expect(rendered).toEqual(['ON', 'economie', '12', '28.5', 'OFF']);
    expect(rendered[0]).toBe(components.alert?.payload_on);
    expect(rendered[4]).toBe(components.active?.state_off);
  });

  it('read the calibration from a status that reports it', () => {
    const status = {
      ...onlineStatus('pi-1'),
      correction_temperature: -1.5,
      correction_humidite: 2,
      correction_pression: 0.4,
      altitude: 120,
    };
    const keys = ['temperature_offset', 'humidity_offset', 'pressure_offset', 'altitude'];
    expect(
      render(
        keys.map((key) => ({ template: template(key, 'value_template'), variables: fromMessage(status) })),
      ),
    ).toEqual(['-1.5', '2', '0.4', '120']);
  });

  it('give the update entity its installed and latest version, and whether an update runs', () => {
    const idle = onlineStatus('pi-1', { firmware: 'v1.0.0' });
    const running = onlineStatus('pi-1', {
      firmware: 'v1.0.0',
      ota: { ...idle.ota, state: 'downloading', progress: 40, target_version: 'v1.2.0' },
    });
    const [before, during] = render(
      [idle, running].map((status) => ({
        template: template('firmware', 'value_template'),
        variables: fromMessage(status),
      })),
    ).map((text) => JSON.parse(text));
    expect(before).toEqual({ installed_version: 'v1.0.0', latest_version: 'v1.2.0', in_progress: false });
    expect(during).toMatchObject({ in_progress: true });
  });

  it('make commands that the contract accepts from the values Home Assistant passes', () => {
    const jobs: Job[] = [
      { template: template('mode', 'command_template'), variables: { value: 'manuel' } },
      { template: template('interval', 'command_template'), variables: { value: 30.0 } },
      { template: template('alert_threshold', 'command_template'), variables: { value: 27.5 } },
      { template: template('temperature_offset', 'command_template'), variables: { value: -1.5 } },
      { template: template('altitude', 'command_template'), variables: { value: 500.0 } },
    ];
    const commands = render(jobs).map((text) => JSON.parse(text));
    expect(commands).toEqual([
      { mode: 'manuel' },
      { intervalle: 30 },
      { seuil_alerte: 27.5 },
      { correction_temperature: -1.5 },
      { altitude: 500 },
    ]);
    for (const command of commands) expect(commandSchema.safeParse(command).success).toBe(true);
  });
});
