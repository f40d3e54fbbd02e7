// Native ESM Jest (NODE_OPTIONS=--experimental-vm-modules): NestJS 12 ships ESM only.
// SWC transpiles TypeScript with legacy decorators + metadata so Nest's DI sees parameter types.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
    },
    module: { type: 'es6' },
  },
];

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  // Sources import './x.js' (nodenext style); Jest resolves the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  // Test bed state dirs (etcd data holds *.snap files Jest would report as obsolete snapshots).
  modulePathIgnorePatterns: ['<rootDir>/\\.testbed', '<rootDir>/bench/out'],
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/http/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e.ts'] },
  ],
};
