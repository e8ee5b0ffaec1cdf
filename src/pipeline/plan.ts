import type { AnnexaConfig, ConnectorInstanceConfig } from '../config/config.js';
import type { CollectorDefinition } from '../core/connector.js';
import { UsageError } from '../core/errors.js';

/** One unit of work: a collector of a connector instance. */
export interface PlannedCollector {
  instance: ConnectorInstanceConfig;
  collector: CollectorDefinition<unknown, unknown>;
}

/** The work of one run, grouped by connector instance (each instance gets one client and one HTTP queue). */
export interface CollectionPlan {
  instances: { instance: ConnectorInstanceConfig; collectors: CollectorDefinition<unknown, unknown>[] }[];
}

/**
 * Decides what a run collects: every enabled instance, or the ones named by `--only`
 * (an instance id, or `instance-id:collector-id` for a single collector).
 */
export function planCollection(config: AnnexaConfig, only: readonly string[] = []): CollectionPlan {
  const selectors = only.map((s) => {
    const [instanceId, collectorId] = s.split(':');
    const instance = config.connectors.find((c) => c.id === instanceId);
    if (!instance) {
      throw new UsageError(`--only ${s}: no connector with id "${instanceId}" in ${config.file} (configured: ${config.connectors.map((c) => c.id).join(', ') || 'none'})`);
    }
    if (collectorId && !instance.definition.collectors.some((c) => c.id === collectorId && applies(c, instance))) {
      throw new UsageError(`--only ${s}: connector ${instanceId} has no collector "${collectorId}" (it has: ${instance.definition.collectors.filter((c) => applies(c, instance)).map((c) => c.id).join(', ')})`);
    }
    return { instanceId, collectorId };
  });
  const instances = config.connectors
    .filter((instance) => (selectors.length ? selectors.some((s) => s.instanceId === instance.id) : instance.enabled))
    .map((instance) => {
      const wanted = selectors.filter((s) => s.instanceId === instance.id);
      const collectors = instance.definition.collectors.filter(
        (c) => applies(c, instance) && (wanted.length === 0 || wanted.some((s) => s.collectorId === undefined || s.collectorId === c.id)),
      ) as CollectorDefinition<unknown, unknown>[];
      return { instance, collectors };
    });
  if (instances.length === 0) {
    throw new UsageError(`${config.file}: no enabled connector to collect from (add one under connectors:, see config.example.yaml)`);
  }
  return { instances };
}

function applies(collector: CollectorDefinition<unknown, unknown>, instance: ConnectorInstanceConfig): boolean {
  return collector.appliesTo?.(instance.settings) ?? true;
}
