import { z } from 'zod';
import { defineCollector } from '../../src/core/connector.js';
import { isLicenceError, type GraphApi } from './client.js';
import { notAvailablePayload, notAvailableRecord } from './availability.js';
import type { MicrosoftGraphSettings } from './settings.js';

export const managedDevicePayload = z.union([
  z.object({
    id: z.string().describe('Intune managed device id.'),
    deviceName: z.string().describe('Device name.'),
    userPrincipalName: z.string().nullable().describe('Primary user (UPN).'),
    operatingSystem: z.string().nullable().describe('Windows, macOS, iOS, Android, …'),
    osVersion: z.string().nullable().describe('Operating system version.'),
    complianceState: z.string().describe('compliant, noncompliant, inGracePeriod, conflict, error, unknown, configManager.'),
    ownerType: z.string().nullable().describe('company or personal.'),
    lastSyncDateTime: z.string().nullable().describe('Last check-in with Intune.'),
    isEncrypted: z.boolean().nullable().describe('Whether storage is encrypted.'),
  }),
  notAvailablePayload,
]);

const device = z.object({
  id: z.string(),
  deviceName: z.string(),
  userPrincipalName: z.string().nullable().optional(),
  operatingSystem: z.string().nullable().optional(),
  osVersion: z.string().nullable().optional(),
  complianceState: z.string(),
  managedDeviceOwnerType: z.string().nullable().optional(),
  lastSyncDateTime: z.string().nullable().optional(),
  isEncrypted: z.boolean().nullable().optional(),
});

const select = 'id,deviceName,userPrincipalName,operatingSystem,osVersion,complianceState,managedDeviceOwnerType,lastSyncDateTime,isEncrypted';

export const managedDevicesCollector = defineCollector<GraphApi, MicrosoftGraphSettings, typeof managedDevicePayload>({
  id: 'managed_devices',
  kind: 'entra.managed_device.v1',
  title: 'Intune managed devices and their compliance',
  description: 'Every Intune-managed device with its compliance state, owner and last check-in.',
  subject: 'device name / id',
  ttlHours: 36,
  payload: managedDevicePayload,
  async *collect({ client, clock }) {
    try {
      for await (const page of client.pages(`/deviceManagement/managedDevices?$top=999&$select=${select}`, device)) {
        for (const d of page.items) {
          yield {
            subject: `${d.deviceName} / ${d.id}`,
            requests: [page.request],
            payload: {
              id: d.id,
              deviceName: d.deviceName,
              userPrincipalName: d.userPrincipalName ?? null,
              operatingSystem: d.operatingSystem ?? null,
              osVersion: d.osVersion ?? null,
              complianceState: d.complianceState,
              ownerType: d.managedDeviceOwnerType ?? null,
              lastSyncDateTime: d.lastSyncDateTime ?? null,
              isEncrypted: d.isEncrypted ?? null,
            },
          };
        }
      }
    } catch (error) {
      if (!isLicenceError(error)) throw error;
      yield notAvailableRecord('Intune managed devices', 'Microsoft Intune', error, clock.now().toISOString());
    }
  },
});
