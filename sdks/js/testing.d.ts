// Types of @owncast/plugin-sdk/testing.

/** One scenario: the shape of an entry of a __tests__/*.test.json file. */
export interface Scenario {
  name: string;
  given?: Record<string, unknown>;
  config?: Record<string, unknown>;
  events?: Array<Record<string, unknown>>;
  expect?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface RunOptions {
  /** The plugin project (default: process.cwd()). */
  cwd?: string;
  /** Names the generated scenario file in reports. */
  name?: string;
}

/** Runs scenarios against the built plugin; sets process.exitCode on failure. */
export function runScenarios(scenarios: Scenario[], opts?: RunOptions): boolean;

/** Loads every __tests__/*.test.js in name order. */
export function runScenarioFiles(opts?: { cwd?: string }): boolean;
