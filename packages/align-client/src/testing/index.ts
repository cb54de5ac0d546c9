export { FAULT_KINDS } from './emulator/faults.js'
export {
  AlignEmulator,
  type AlignEmulatorFault,
  type AlignEmulatorFaultKind,
  type AlignEmulatorHeldWebhook,
  type AlignEmulatorKycState,
  type AlignEmulatorLogger,
  type AlignEmulatorOptions,
  type AlignEmulatorSendWebhookInput,
  type AlignEmulatorState,
  type AlignEmulatorWebhookDelivery,
} from './emulator.js'
