import { dashboardEnvSpec, loadDashboardConfig } from '@fleet/dashboard';
import { describeEnvConfig } from '@fleet/shared';
import { describe, expect, it } from 'vitest';

describe('DATABASE_URL', () => {
  it('is unset by default: the readings stay in SQLite', () => {
    expect(loadDashboardConfig({}, '/srv').databaseUrl).toBeNull();
  });

  it('takes a postgres:// or postgresql:// URL, and the start-up description does not show it', () => {
    const url = 'postgres://fleet:s3cret@db.example:5432/fleet';
    const config = loadDashboardConfig({ DATABASE_URL: url }, '/srv');
    expect(config.databaseUrl).toBe(url);
    expect(loadDashboardConfig({ DATABASE_URL: 'postgresql://db/fleet' }, '/srv').databaseUrl).toBe(
      'postgresql://db/fleet',
    );
    expect(describeEnvConfig(dashboardEnvSpec, config).DATABASE_URL).toBe('[set]');
  });

  it.each(['mysql://fleet:pw@db/fleet', 'postgres://db.example:5432/', 'db.example/fleet'])(
    'refuses %s in one sentence that names the variable and what is accepted, without echoing it',
    (value) => {
      expect(() => loadDashboardConfig({ DATABASE_URL: value }, '/srv')).toThrow(
        'Environment variable DATABASE_URL received a value; accepted: a PostgreSQL URL such as postgres://user:password@host:5432/database (postgresql:// too).',
      );
    },
  );
});
