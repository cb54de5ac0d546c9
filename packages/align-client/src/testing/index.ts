export {
  AlignEmulator,
  type AlignEmulatorFault,
  type AlignEmulatorFaultKind,
  type AlignEmulatorKycState,
  type AlignEmulatorLogger,
  type AlignEmulatorOptions,
  type AlignEmulatorSendWebhookInput,
  type AlignEmulatorState,
  type AlignEmulatorWebhookDelivery,
} from './emulator.js'
