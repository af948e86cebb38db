import { METADATA_ADDRESSES } from '../api/constants.js';
import { defaultPlatform, type PlatformConfig } from '../compile/facts.js';
import { parseFlagTable, unknownPairFlag } from './flag-table.js';
import { parseCidrList, platformFlags } from './platform-flags.js';

type Args = { platform: PlatformConfig };
const parse = (argv: string[]): Args | string | symbol => parseFlagTable<Args, string | symbol>(argv, { flags: platformFlags<Args>(), other: unknownPairFlag }, { platform: defaultPlatform() });

test('--metadata-cidrs replaces the default metadata endpoints; "" leaves none', () => {
  expect((parse([]) as Args).platform.metadataAddresses).toEqual([...METADATA_ADDRESSES]);
  expect((parse(['--metadata-cidrs', '169.254.169.254/32, 10.9.9.9/32']) as Args).platform.metadataAddresses).toEqual(['169.254.169.254/32', '10.9.9.9/32']);
  expect((parse(['--metadata-cidrs', '']) as Args).platform.metadataAddresses).toEqual([]);
});

test('--metadata-cidrs refuses what is not a canonical CIDR, naming it', () => {
  expect(parse(['--metadata-cidrs', '169.254.169.254'])).toBe('--metadata-cidrs takes CIDRs in canonical form (no host bits set), comma-separated, such as 169.254.169.254/32,fd00:ec2::254/128; not "169.254.169.254"');
  expect(parseCidrList('10.0.0.1/8', '--metadata-cidrs')).toMatch(/not "10.0.0.1\/8"$/);
});
