/** A minimal valid registry entry for tests, with the fields a test cares about on top. */
import type { RegistryModel } from '../src/registry/registry-schema.js';

export function registryModel(id: string, fields: Partial<RegistryModel> = {}): RegistryModel {
  return {
    id,
    name: id,
    family: id.split('/')[0]!,
    status: 'verified',
    capabilities: {},
    known_issues: [],
    ...fields,
  } as RegistryModel;
}
