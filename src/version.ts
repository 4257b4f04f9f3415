/** The package version, reported by the CLI and the gateway. */
export const VERSION = '0.1.0';
