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

/**
 * One unit of distribution (`annexa worker` takes one at a time): a connector instance, or one
 * part of it when its connector declares `units` (ConnectorDefinition) (`aws-prod/111122223333`).
 */
export interface PlannedUnit {
  /** `instance`, or `instance/key` for a part. */
  unit: string;
  /** For humans: `aws-prod account 111122223333`. */
  label: string;
  /** The instance with its settings narrowed to the unit. */
  instance: ConnectorInstanceConfig;
  collectors: CollectorDefinition<unknown, unknown>[];
}

/** The units of a plan, in plan order: each instance whole, or split as its connector declares. */
export function planUnits(plan: CollectionPlan): PlannedUnit[] {
  return plan.instances.flatMap(({ instance, collectors }) => unitsOf(instance).map((u) => ({ ...u, collectors })));
}

/** An instance's units: the connector's split of its settings, or the whole instance. */
export function unitsOf(instance: ConnectorInstanceConfig): Omit<PlannedUnit, 'collectors'>[] {
  const parts = instance.definition.units?.(instance.settings) ?? [];
  if (parts.length === 0) return [{ unit: instance.id, label: instance.id, instance }];
  return parts.map((part) => {
    if (part.key.includes('/') || part.key === '') throw new Error(`connector ${instance.type}: unit key "${part.key}" must be non-empty without "/"`);
    return { unit: `${instance.id}/${part.key}`, label: `${instance.id} ${part.label}`, instance: { ...instance, settings: part.config } };
  });
}

/**
 * The plan narrowed to one unit (the collect pipeline's unit filter): its instance with the
 * unit's settings and the plan's collectors of it. Throws a usage error naming the known units.
 */
export function planForUnit(plan: CollectionPlan, unit: string): CollectionPlan {
  const units = planUnits(plan);
  const found = units.find((u) => u.unit === unit);
  if (!found) throw new UsageError(`no unit ${unit} in the plan (units: ${units.map((u) => u.unit).join(', ')})`);
  return { instances: [{ instance: found.instance, collectors: found.collectors }] };
}
