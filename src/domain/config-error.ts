// The error of an invalid configuration, naming the key (`config.KEY: reason`). In a file of its own
// so that the parsers of optional programs (team.ts, campaigns.ts) can throw it without importing
// config.ts, which imports them.
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`config.${key}: ${reason}`);
    this.name = 'ConfigError';
  }
}
