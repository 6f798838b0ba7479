// The reader of `stages`: the user's request and response lists, copied and frozen.
import type { ResolvedOptions } from '../options.js';
import type { UpgradeAwareOptions } from '../types.js';
import type { RequestStage, ResponseStage } from '../types/stages.js';

const NONE: readonly never[] = Object.freeze([]);

/** A list of functions, copied and frozen. */
function readStageList<T>(value: unknown, name: string): readonly T[] {
  if (value === undefined) return NONE as readonly T[];
  if (!Array.isArray(value))
    throw new TypeError(`option \`${name}\` must be an array of functions`);
  value.forEach((stage: unknown, i) => {
    if (typeof stage !== 'function')
      throw new TypeError(`option \`${name}[${i}]\` must be a function`);
  });
  return Object.freeze([...(value as T[])]);
}

/** `stages`: `{ request?, response? }`, each a list of functions. */
export function readStages(
  options: UpgradeAwareOptions,
): Pick<ResolvedOptions, 'requestStages' | 'responseStages'> {
  const value: unknown = options.stages;
  if (value === undefined) return { requestStages: NONE, responseStages: NONE };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError('option `stages` must be an object with `request` and/or `response` lists');
  for (const key of Object.keys(value)) {
    if (key !== 'request' && key !== 'response')
      throw new TypeError(`unknown option \`stages.${key}\``);
  }
  const { request, response } = value as Record<string, unknown>;
  return {
    requestStages: readStageList<RequestStage>(request, 'stages.request'),
    responseStages: readStageList<ResponseStage>(response, 'stages.response'),
  };
}
