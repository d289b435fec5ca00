import { describe, expect, test } from 'bun:test';
import { KERNEL_DYNAMIC_CONFIG } from './dev-server';
import { parseDynamicSetting, parsePostgresUrl, renderDynamicConfig } from './production-config';

describe('production server config', () => {
  test('a postgres URL gives host, port, user, password and the admin database, with defaults', () => {
    expect(parsePostgresUrl('postgres://alice:s%40cret@db.internal:6543/admin')).toEqual({ host: 'db.internal', port: 6543, user: 'alice', password: 's@cret', adminDatabase: 'admin' });
    expect(parsePostgresUrl('postgresql://127.0.0.1')).toEqual({ host: '127.0.0.1', port: 5432, user: 'postgres', password: '', adminDatabase: 'postgres' });
  });

  test('anything but a postgres URL is refused with a sentence', () => {
    expect(() => parsePostgresUrl('mysql://root@127.0.0.1/x')).toThrow('is not a postgres:// URL');
    expect(() => parsePostgresUrl('not a url')).toThrow('is not a postgres:// URL');
  });

  test('settings keep their JSON types; a bare word stays a string; no "=" is refused', () => {
    expect(parseDynamicSetting('history.transferProcessorMaxPollRPS=10000')).toEqual({ key: 'history.transferProcessorMaxPollRPS', value: 10000 });
    expect(parseDynamicSetting('matching.useNewMatcher=true')).toEqual({ key: 'matching.useNewMatcher', value: true });
    expect(parseDynamicSetting('a.b=fast')).toEqual({ key: 'a.b', value: 'fast' });
    expect(() => parseDynamicSetting('novalue')).toThrow('is not key=value');
  });

  test('the production server gets every key the dev server gets, the last of a repeated key winning', () => {
    const file = renderDynamicConfig([...KERNEL_DYNAMIC_CONFIG, 'matching.numTaskqueueReadPartitions=4']);
    for (const setting of KERNEL_DYNAMIC_CONFIG) expect(file).toContain(`${setting.slice(0, setting.indexOf('='))}:\n`);
    expect(file).toContain('history.transferProcessorMaxPollRPS:\n  - value: 10000\n');
    expect(file).toContain('matching.numTaskqueueReadPartitions:\n  - value: 4\n');
    expect(file.match(/matching\.numTaskqueueReadPartitions:/g)).toHaveLength(1);
  });
});
