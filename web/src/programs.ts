// Shapes shared by the programs page's sections (web/src/views/ProgramsPage.vue).
import type { PlainConfig } from './api';

export type ProgramName = 'levels' | 'campaigns' | 'dividends' | 'legacy';

/** A section's edited settings as a partial configuration (laid over the one in force), or why not. */
export type ProgramChange =
  | { ok: true; config: PlainConfig; changed: boolean; turningOn: boolean }
  | { ok: false; error: string };
